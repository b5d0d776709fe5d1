import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { TransactionScope } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import { coreDb, now, type CoreDb, type CoreTables, type MembershipsTable, type UsersTable } from '../storage/db.js'
import { InvitationService } from './invitation-service.js'
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
 * The organisation that created a user: their oldest membership. A user without a password only
 * ever joins one organisation (invitations need a signed-in user), so this is the one whose setup
 * links may set their password.
 */
async function homeOrganization(db: CoreDb, userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('memberships')
    .select('org_id')
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('org_id')
    .limit(1)
    .executeTakeFirst()
  return row?.org_id
}

/** What adding an e-mail to an organisation did: a new account with a setup link, or an invitation to accept. */
export type Provisioned =
  | { kind: 'created'; userId: string; createdAt: string; setupUrl: string; expiresAt: string }
  | { kind: 'invited'; userId: string; createdAt: string; invitationId: string; expiresAt: string }

/**
 * Users and their roles in organisations. Users are global, one per e-mail, so an organisation
 * that adds an e-mail never gets a way into an account that exists already: a new e-mail becomes
 * a user with a one-time setup link, an existing one gets an invitation that they accept (or
 * decline) while signed in.
 */
export class MemberService {
  readonly invitations: InvitationService

  constructor(
    private readonly db: Kysely<CoreTables>,
    /** Read at use: the base URL may be settled only once the server listens. */
    private readonly urls: { readonly publicUrl: string },
  ) {
    this.invitations = new InvitationService(db)
  }

  /**
   * Adds an e-mail to an organisation. A new e-mail becomes a user and a member at once, with a
   * one-time setup link (7 days). An e-mail that is already a user, with or without a password,
   * member elsewhere or not, gets a pending invitation instead: no link, nothing that sets a
   * credential. 409 if already a member or already invited here. `invitedBy` is shown to the invitee.
   */
  async provision(tx: TransactionScope, orgId: string, input: { email: string; name: string; role: Role }, invitedBy: string): Promise<Provisioned> {
    const db = coreDb(tx.db)
    const email = input.email.trim().toLowerCase()
    const createdAt = now()
    // Insert-or-keep in one statement: of two provisionings of one new address, exactly one creates it.
    const created = await db
      .insertInto('users')
      .values({ id: randomUUID(), email, name: input.name, password_hash: null, created_at: createdAt } satisfies UsersTable)
      .onConflict((oc) => oc.column('email').doNothing())
      .returning('id')
      .executeTakeFirst()
    if (created) {
      await db.insertInto('memberships').values({ org_id: orgId, user_id: created.id, role: input.role, created_at: createdAt }).execute()
      const link = await this.issueSetupLink(tx, orgId, created.id)
      await tx.audit({ action: 'member.added', targetType: 'user', targetId: created.id, orgId, details: { email, role: input.role } })
      return { kind: 'created', userId: created.id, createdAt, setupUrl: link.url, expiresAt: link.expiresAt }
    }
    const user = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()
    const member = await db.selectFrom('memberships').select('user_id').where('org_id', '=', orgId).where('user_id', '=', user.id).executeTakeFirst()
    if (member) throw new ApiError('conflict', `${email} is already a member of this organisation`)
    const invitation = await this.invitations.create(tx, { orgId, userId: user.id, email, name: input.name, role: input.role, invitedBy })
    await tx.audit({ action: 'member.invited', targetType: 'user', targetId: user.id, orgId, details: { email, role: input.role } })
    return { kind: 'invited', userId: user.id, createdAt, invitationId: invitation.id, expiresAt: invitation.expires_at }
  }

  async issueSetupLink(tx: TransactionScope, orgId: string, userId: string): Promise<{ url: string; expiresAt: string }> {
    const token = randomBytes(32).toString('base64url')
    const expiresAt = new Date(Date.now() + SETUP_TTL_MS).toISOString()
    await coreDb(tx.db).insertInto('setup_tokens').values({ token_hash: hashToken(token), user_id: userId, org_id: orgId, created_at: now(), expires_at: expiresAt, used_at: null }).execute()
    return { url: `${this.urls.publicUrl}/setup/${token}`, expiresAt }
  }

  /**
   * A fresh setup link for a member who has not chosen a password, replacing their unused ones.
   * Only the organisation that created the account may: any other would be setting the password
   * of someone else's invitee.
   */
  async reissueSetupLink(tx: TransactionScope, orgId: string, userId: string): Promise<{ url: string; expiresAt: string }> {
    const db = coreDb(tx.db)
    const user = await db.selectFrom('users').select(['email', 'password_hash']).where('id', '=', userId).executeTakeFirst()
    if (!user) throw new ApiError('not_found', 'Member not found')
    if (user.password_hash) throw new ApiError('conflict', 'This member has already chosen a password')
    if ((await homeOrganization(db, userId)) !== orgId) {
      throw new ApiError('conflict', 'This person was invited to Portico by another organisation; they choose a password from that invitation')
    }
    // Earlier unused links stop working: only the newest one is in anyone's hands.
    await db.deleteFrom('setup_tokens').where('org_id', '=', orgId).where('user_id', '=', userId).where('used_at', 'is', null).execute()
    return this.issueSetupLink(tx, orgId, userId)
  }

  /**
   * The user a setup link is for, if it is unused and unexpired, the user still has no password,
   * and the link's organisation is the one that created the account (a link another organisation
   * obtained before invitations existed sets nothing).
   */
  async findSetupLink(token: string, db: CoreDb = this.db): Promise<{ userId: string; orgId: string; email: string; name: string } | undefined> {
    const row = await db
      .selectFrom('setup_tokens')
      .innerJoin('users', 'users.id', 'setup_tokens.user_id')
      .select(['setup_tokens.user_id', 'setup_tokens.org_id', 'users.email', 'users.name'])
      .where('setup_tokens.token_hash', '=', hashToken(token))
      .where('setup_tokens.used_at', 'is', null)
      .where('setup_tokens.expires_at', '>', now())
      .where('users.password_hash', 'is', null)
      .executeTakeFirst()
    if (!row || (await homeOrganization(db, row.user_id)) !== row.org_id) return undefined
    return { userId: row.user_id, orgId: row.org_id, email: row.email, name: row.name }
  }

  /**
   * Uses a setup link once: exactly one caller sets the password. The link is checked before the
   * password is hashed, so posting to a dead link costs no scrypt work.
   */
  async completeSetup(token: string, password: string): Promise<{ userId: string; orgId: string } | undefined> {
    if (!(await this.findSetupLink(token))) return undefined
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
      if (!used || (await homeOrganization(trx, used.user_id)) !== used.org_id) return undefined
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
