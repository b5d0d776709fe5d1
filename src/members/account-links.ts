import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { RequestMeta } from '../core/context.js'
import type { TransactionDeps } from '../core/transaction.js'
import { runInTransaction, systemMeta } from '../core/transaction.js'
import { coreDb, now, type AccountLinksTable, type CoreDb } from '../storage/db.js'
import { hashPassword } from './password.js'

/** A password-reset link works for an hour: long enough to read the e-mail, short if it leaks. */
export const RESET_TTL_MS = 60 * 60 * 1000
/** An organisation's first-Owner link, printed by the operator, works for a day. */
export const OWNER_LINK_TTL_MS = 24 * 60 * 60 * 1000

const hash = (token: string) => createHash('sha256').update(token).digest('hex')
const newToken = () => randomBytes(32).toString('base64url')

export interface IssuedLink {
  url: string
  expiresAt: string
}

export type OwnerSetupResult = { kind: 'created'; userId: string; orgId: string } | { kind: 'email_taken' } | { kind: 'invalid' }

/**
 * One-time links that set a credential without an organisation's setup link: password resets and
 * an organisation's first Owner. Only hashes are stored; issuing a link replaces the unused ones of
 * the same kind for the same user (or organisation); using one is a single conditional update, so
 * of two concurrent submissions exactly one sets anything. Nobody in an organisation can issue
 * either for someone else: resets are e-mailed to the account's own address, and both are printed
 * by the operator's command line, which is trusted with every account.
 */
export class AccountLinks {
  constructor(
    private readonly db: CoreDb,
    private readonly tx: TransactionDeps,
    /** Read at use: the base URL may be settled only once the server listens. */
    private readonly urls: { readonly publicUrl: string },
  ) {}

  async issueReset(userId: string, db: CoreDb = this.db): Promise<IssuedLink> {
    await db.deleteFrom('account_links').where('kind', '=', 'password_reset').where('user_id', '=', userId).where('used_at', 'is', null).execute()
    return this.#insert(db, { kind: 'password_reset', user_id: userId, org_id: null }, RESET_TTL_MS, 'reset')
  }

  /** The account a reset link is for, while it is unused and unexpired. */
  async findReset(token: string, db: CoreDb = this.db): Promise<{ userId: string; email: string } | undefined> {
    const row = await this.#live(db, token, 'password_reset')
      .innerJoin('users', 'users.id', 'account_links.user_id')
      .select(['users.id', 'users.email'])
      .executeTakeFirst()
    return row ? { userId: row.id, email: row.email } : undefined
  }

  /**
   * Uses a reset link once: sets the password, signs the account out everywhere (a reset is what
   * someone does who fears another has it) and drops its other unused links.
   */
  async completeReset(token: string, password: string, meta: RequestMeta = systemMeta('password-reset')): Promise<{ userId: string } | undefined> {
    if (!(await this.findReset(token))) return undefined
    const passwordHash = await hashPassword(password)
    return runInTransaction(this.tx, null, meta, null, async (scope) => {
      const db = coreDb(scope.db)
      const used = await this.#use(db, token, 'password_reset')
      if (!used?.user_id) return undefined
      const userId = used.user_id
      await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute()
      await db.deleteFrom('sessions').where('user_id', '=', userId).execute()
      await db.deleteFrom('account_links').where('kind', '=', 'password_reset').where('user_id', '=', userId).where('used_at', 'is', null).execute()
      await scope.audit({ action: 'user.password_reset', targetType: 'user', targetId: userId })
      return { userId }
    })
  }

  /** A link that creates the organisation's first Owner; refused (undefined) when it has one. */
  async issueOwnerLink(orgId: string, db: CoreDb = this.db): Promise<IssuedLink | undefined> {
    if (await this.#hasOwner(db, orgId)) return undefined
    await db.deleteFrom('account_links').where('kind', '=', 'first_owner').where('org_id', '=', orgId).where('used_at', 'is', null).execute()
    return this.#insert(db, { kind: 'first_owner', user_id: null, org_id: orgId }, OWNER_LINK_TTL_MS, 'setup/owner')
  }

  /** The organisation an Owner link is for, while it is unused, unexpired and the organisation has no Owner. */
  async findOwnerLink(token: string, db: CoreDb = this.db): Promise<{ orgId: string; orgName: string } | undefined> {
    const row = await this.#live(db, token, 'first_owner')
      .innerJoin('organizations', 'organizations.id', 'account_links.org_id')
      .select(['organizations.id', 'organizations.name'])
      .executeTakeFirst()
    if (!row || (await this.#hasOwner(db, row.id))) return undefined
    return { orgId: row.id, orgName: row.name }
  }

  /**
   * Uses an Owner link once: a new account, Owner of the link's organisation. An e-mail that is
   * already an account is refused (`email_taken`, the link stays usable): a link never joins or
   * sets the password of an account that exists; the operator adds one with `portico user create`.
   */
  async completeOwner(token: string, input: { name: string; email: string; password: string }, meta: RequestMeta = systemMeta('owner-setup')): Promise<OwnerSetupResult> {
    const link = await this.findOwnerLink(token)
    if (!link) return { kind: 'invalid' }
    const email = input.email.trim().toLowerCase()
    if (await this.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()) return { kind: 'email_taken' }
    const passwordHash = await hashPassword(input.password)
    return runInTransaction(this.tx, null, meta, link.orgId, async (scope) => {
      const db = coreDb(scope.db)
      const used = await this.#use(db, token, 'first_owner')
      if (!used?.org_id || (await this.#hasOwner(db, used.org_id))) return { kind: 'invalid' } as const
      const userId = randomUUID()
      const at = now()
      const inserted = await db
        .insertInto('users')
        .values({ id: userId, email, name: input.name, password_hash: passwordHash, created_at: at })
        .onConflict((oc) => oc.column('email').doNothing())
        .returning('id')
        .executeTakeFirst()
      if (!inserted) throw new EmailTaken()
      await db.insertInto('memberships').values({ org_id: used.org_id, user_id: userId, role: 'owner', created_at: at }).execute()
      await scope.audit({ action: 'member.added', targetType: 'user', targetId: userId, details: { email, role: 'owner', via: 'first-owner link' } })
      return { kind: 'created', userId, orgId: used.org_id } as const
    }).catch((error: unknown) => {
      // Raced by another account with the same e-mail: the transaction rolled back, the link is unused again.
      if (error instanceof EmailTaken) return { kind: 'email_taken' } as const
      throw error
    })
  }

  #live(db: CoreDb, token: string, kind: AccountLinksTable['kind']) {
    return db
      .selectFrom('account_links')
      .where('account_links.token_hash', '=', hash(token))
      .where('account_links.kind', '=', kind)
      .where('account_links.used_at', 'is', null)
      .where('account_links.expires_at', '>', now())
  }

  #use(db: CoreDb, token: string, kind: AccountLinksTable['kind']) {
    return db
      .updateTable('account_links')
      .set({ used_at: now() })
      .where('token_hash', '=', hash(token))
      .where('kind', '=', kind)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now())
      .returning(['user_id', 'org_id'])
      .executeTakeFirst()
  }

  async #insert(db: CoreDb, row: Pick<AccountLinksTable, 'kind' | 'user_id' | 'org_id'>, ttlMs: number, path: string): Promise<IssuedLink> {
    const token = newToken()
    const expiresAt = new Date(Date.now() + ttlMs).toISOString()
    await db.insertInto('account_links').values({ ...row, token_hash: hash(token), created_at: now(), expires_at: expiresAt, used_at: null }).execute()
    return { url: `${this.urls.publicUrl}/${path}/${token}`, expiresAt }
  }

  async #hasOwner(db: CoreDb, orgId: string): Promise<boolean> {
    return (await db.selectFrom('memberships').select('user_id').where('org_id', '=', orgId).where('role', '=', 'owner').limit(1).executeTakeFirst()) !== undefined
  }
}

class EmailTaken extends Error {}
