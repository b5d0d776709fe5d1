import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { TransactionDeps } from '../core/transaction.js'
import { runInTransaction, systemMeta } from '../core/transaction.js'
import { hashPassword } from '../members/password.js'
import { coreDb, now, type CoreDb } from '../storage/db.js'

const hash = (token: string) => createHash('sha256').update(token).digest('hex')

/**
 * On an empty database, a one-time link that creates the first organisation and its Owner.
 * A new link replaces any unused one at each start; using one is a single atomic update.
 */
export class FirstRun {
  constructor(
    private readonly db: CoreDb,
    private readonly tx: TransactionDeps,
  ) {}

  async link(publicUrl: string): Promise<string | undefined> {
    const orgs = await this.db.selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    if (Number(orgs.n) > 0) return undefined
    const token = randomBytes(32).toString('base64url')
    await this.db.deleteFrom('first_run').where('used_at', 'is', null).execute()
    await this.db.insertInto('first_run').values({ token_hash: hash(token), created_at: now(), used_at: null }).execute()
    return `${publicUrl}/setup/first-run/${token}`
  }

  async valid(token: string): Promise<boolean> {
    const row = await this.db.selectFrom('first_run').select('used_at').where('token_hash', '=', hash(token)).executeTakeFirst()
    return row !== undefined && row.used_at === null
  }

  /** Exactly one caller uses the link; it creates the organisation and its Owner together. */
  async complete(token: string, input: { orgName: string; name: string; email: string; password: string }): Promise<{ userId: string; orgId: string } | undefined> {
    const passwordHash = await hashPassword(input.password)
    return runInTransaction(this.tx, null, systemMeta('first-run'), null, async (scope) => {
      const db = coreDb(scope.db)
      const used = await db.updateTable('first_run').set({ used_at: now() }).where('token_hash', '=', hash(token)).where('used_at', 'is', null).executeTakeFirst()
      if (Number(used.numUpdatedRows) === 0) return undefined
      const orgId = randomUUID()
      const userId = randomUUID()
      const at = now()
      await db.insertInto('organizations').values({ id: orgId, name: input.orgName, status: 'active', reseller_id: null, external_id: null, rate_limits: null, created_at: at }).execute()
      await db.insertInto('users').values({ id: userId, email: input.email.toLowerCase(), name: input.name, password_hash: passwordHash, created_at: at }).execute()
      await db.insertInto('memberships').values({ org_id: orgId, user_id: userId, role: 'owner', created_at: at }).execute()
      await scope.audit({ action: 'organization.created', targetType: 'organization', targetId: orgId, orgId, details: { via: 'first-run setup', owner: input.email } })
      return { userId, orgId }
    })
  }
}
