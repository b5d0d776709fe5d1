import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { RequestMeta } from '../core/context.js'
import type { TransactionDeps } from '../core/transaction.js'
import { runInTransaction, systemMeta } from '../core/transaction.js'
import { hashPassword } from '../members/password.js'
import { OrgStore } from '../orgs/org-store.js'
import { coreDb, now, type CoreDb } from '../storage/db.js'

const hash = (token: string) => createHash('sha256').update(token).digest('hex')

export interface FirstRunInput {
  orgName: string
  name: string
  email: string
  password: string
}

/**
 * On an empty database, a one-time link that creates the first organisation and its Owner.
 * Only the token's hash is stored. A new link replaces any unused one at each start; using one is
 * a single conditional update, so of two concurrent submissions exactly one creates anything.
 */
export class FirstRun {
  constructor(
    private readonly db: CoreDb,
    private readonly tx: TransactionDeps,
  ) {}

  async link(publicUrl: string): Promise<string | undefined> {
    if (await this.#hasOrganizations(this.db)) return undefined
    const token = randomBytes(32).toString('base64url')
    await this.db.deleteFrom('first_run').where('used_at', 'is', null).execute()
    await this.db.insertInto('first_run').values({ token_hash: hash(token), created_at: now(), used_at: null }).execute()
    return `${publicUrl}/setup/first-run/${token}`
  }

  /** Unused, and nobody has created an organisation some other way (the CLI) since it was printed. */
  async valid(token: string): Promise<boolean> {
    const row = await this.db.selectFrom('first_run').select('used_at').where('token_hash', '=', hash(token)).executeTakeFirst()
    return row !== undefined && row.used_at === null && !(await this.#hasOrganizations(this.db))
  }

  /** Exactly one caller uses the link; it creates the organisation, its Owner and the audit row together. */
  async complete(token: string, input: FirstRunInput, meta: RequestMeta = systemMeta('first-run')): Promise<{ userId: string; orgId: string } | undefined> {
    // Checked before the (deliberately slow) hash, so posts to a dead link cost no scrypt work.
    if (!(await this.valid(token))) return undefined
    const passwordHash = await hashPassword(input.password)
    // No principal yet (nobody is signed in), but the audit rows still say where the request came from.
    return runInTransaction(this.tx, null, meta, null, async (scope) => {
      const db = coreDb(scope.db)
      const used = await db.updateTable('first_run').set({ used_at: now() }).where('token_hash', '=', hash(token)).where('used_at', 'is', null).executeTakeFirst()
      if (Number(used.numUpdatedRows) === 0 || (await this.#hasOrganizations(db))) return undefined
      const org = await new OrgStore(db).create({ name: input.orgName }, db)
      const userId = randomUUID()
      const at = now()
      const email = input.email.trim().toLowerCase()
      await db.insertInto('users').values({ id: userId, email, name: input.name, password_hash: passwordHash, created_at: at }).execute()
      await db.insertInto('memberships').values({ org_id: org.id, user_id: userId, role: 'owner', created_at: at }).execute()
      await scope.audit({ action: 'organization.created', targetType: 'organization', targetId: org.id, orgId: org.id, details: { name: org.name, via: 'first-run setup' } })
      await scope.audit({ action: 'member.added', targetType: 'user', targetId: userId, orgId: org.id, details: { email, role: 'owner' } })
      return { userId, orgId: org.id }
    })
  }

  async #hasOrganizations(db: CoreDb): Promise<boolean> {
    return (await db.selectFrom('organizations').select('id').limit(1).executeTakeFirst()) !== undefined
  }
}
