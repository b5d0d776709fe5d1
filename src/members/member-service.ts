import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { TransactionScope } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import { coreDb, now, type CoreTables, type MembershipsTable, type UsersTable } from '../storage/db.js'
import { hashPassword } from './password.js'

export type Role = MembershipsTable['role']
export const roles: readonly Role[] = ['owner', 'admin', 'member']
const SETUP_TTL_MS = 7 * 24 * 60 * 60 * 1000

export interface MemberView {
  user_id: string
  email: string
  name: string
  role: Role
  status: 'active' | 'invited'
  created_at: string
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')

/**
 * Users and their roles in organisations. Provisioning (by a reseller, an Admin's invitation or the
 * first-run setup) creates the user and membership at once and returns a one-time setup link.
 */
export class MemberService {
  constructor(
    private readonly db: Kysely<CoreTables>,
    /** Read at use: the base URL may be settled only once the server listens. */
    private readonly urls: { readonly publicUrl: string },
  ) {}

  /**
   * Adds a user to an organisation. A new user (or one who never set a password) gets a one-time
   * setup link (7 days); a user who already has a password gets none and signs in as before, so
   * provisioning someone's e-mail can never reset their password. 409 if already a member.
   */
  async provision(
    tx: TransactionScope,
    orgId: string,
    input: { email: string; name: string; role: Role },
  ): Promise<{ member: MemberView; setupUrl: string | null; expiresAt: string | null }> {
    const db = coreDb(tx.db)
    const email = input.email.trim().toLowerCase()
    // Insert-or-keep in one statement, so two provisionings of one address cannot both create it.
    await db
      .insertInto('users')
      .values({ id: randomUUID(), email, name: input.name, password_hash: null, created_at: now() } satisfies UsersTable)
      .onConflict((oc) => oc.column('email').doNothing())
      .execute()
    const user = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow()
    const createdAt = now()
    const added = await db
      .insertInto('memberships')
      .values({ org_id: orgId, user_id: user.id, role: input.role, created_at: createdAt })
      .onConflict((oc) => oc.columns(['org_id', 'user_id']).doNothing())
      .returning('user_id')
      .executeTakeFirst()
    if (!added) throw new ApiError('conflict', `${email} is already a member of this organisation`)
    const link = user.password_hash ? null : await this.issueSetupLink(tx, orgId, user.id)
    await tx.audit({ action: 'member.added', targetType: 'user', targetId: user.id, orgId, details: { email, role: input.role } })
    return {
      member: { user_id: user.id, email, name: user.name, role: input.role, status: user.password_hash ? 'active' : 'invited', created_at: createdAt },
      setupUrl: link?.url ?? null,
      expiresAt: link?.expiresAt ?? null,
    }
  }

  async issueSetupLink(tx: TransactionScope, orgId: string, userId: string): Promise<{ url: string; expiresAt: string }> {
    const token = randomBytes(32).toString('base64url')
    const expiresAt = new Date(Date.now() + SETUP_TTL_MS).toISOString()
    await coreDb(tx.db).insertInto('setup_tokens').values({ token_hash: hashToken(token), user_id: userId, org_id: orgId, created_at: now(), expires_at: expiresAt, used_at: null }).execute()
    return { url: `${this.urls.publicUrl}/setup/${token}`, expiresAt }
  }

  /** The user a setup link is for, if it is unused and unexpired. */
  async findSetupLink(token: string): Promise<{ userId: string; orgId: string; email: string; name: string } | undefined> {
    const row = await this.db
      .selectFrom('setup_tokens')
      .innerJoin('users', 'users.id', 'setup_tokens.user_id')
      .select(['setup_tokens.user_id', 'setup_tokens.org_id', 'users.email', 'users.name'])
      .where('setup_tokens.token_hash', '=', hashToken(token))
      .where('setup_tokens.used_at', 'is', null)
      .where('setup_tokens.expires_at', '>', now())
      .where('users.password_hash', 'is', null)
      .executeTakeFirst()
    return row && { userId: row.user_id, orgId: row.org_id, email: row.email, name: row.name }
  }

  /** Uses a setup link once: exactly one caller sets the password. */
  async completeSetup(token: string, password: string): Promise<{ userId: string; orgId: string } | undefined> {
    const passwordHash = await hashPassword(password)
    return this.db.transaction().execute(async (trx) => {
      const used = await trx
        .updateTable('setup_tokens')
        .set({ used_at: now() })
        .where('token_hash', '=', hashToken(token))
        .where('used_at', 'is', null)
        .where('expires_at', '>', now())
        .returning(['user_id', 'org_id'])
        .executeTakeFirst()
      if (!used) return undefined
      // A setup link only ever sets a first password; it is never a way to change one.
      const set = await trx
        .updateTable('users')
        .set({ password_hash: passwordHash })
        .where('id', '=', used.user_id)
        .where('password_hash', 'is', null)
        .executeTakeFirst()
      if (Number(set.numUpdatedRows) === 0) return undefined
      return { userId: used.user_id, orgId: used.org_id }
    })
  }

  async list(orgId: string): Promise<MemberView[]> {
    const rows = await this.db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id', 'users.email', 'users.name', 'users.password_hash', 'memberships.role', 'memberships.created_at'])
      .where('memberships.org_id', '=', orgId)
      .orderBy('memberships.created_at', 'asc')
      .execute()
    return rows.map((r) => ({
      user_id: r.id,
      email: r.email,
      name: r.name,
      role: r.role,
      status: r.password_hash ? 'active' : 'invited',
      created_at: r.created_at,
    }))
  }

  async changeRole(tx: TransactionScope, orgId: string, userId: string, role: Role): Promise<void> {
    const db = coreDb(tx.db)
    const updated = await db.updateTable('memberships').set({ role }).where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst()
    if (Number(updated.numUpdatedRows) === 0) throw new ApiError('not_found', 'Member not found')
    await tx.audit({ action: 'member.role_changed', targetType: 'user', targetId: userId, orgId, details: { role } })
  }

  async remove(tx: TransactionScope, orgId: string, userId: string): Promise<void> {
    const db = coreDb(tx.db)
    const owners = await db.selectFrom('memberships').select('user_id').where('org_id', '=', orgId).where('role', '=', 'owner').execute()
    if (owners.length === 1 && owners[0]!.user_id === userId) throw new ApiError('conflict', 'An organisation keeps at least one Owner')
    const deleted = await db.deleteFrom('memberships').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst()
    if (Number(deleted.numDeletedRows) === 0) throw new ApiError('not_found', 'Member not found')
    await tx.audit({ action: 'member.removed', targetType: 'user', targetId: userId, orgId })
  }
}
