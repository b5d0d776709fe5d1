import type { Logger } from 'pino'
import type { AnyDb } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import type { PageContext } from '../core/module.js'
import { runInTransaction, systemMeta, type TransactionDeps } from '../core/transaction.js'
import { coreDb } from '../storage/db.js'

export interface PageContextDeps {
  db: AnyDb
  dialect: 'sqlite' | 'postgres'
  log: Logger
  tx: TransactionDeps
  /** Read at use: the base URL may be settled only once the server listens. */
  urls: { readonly publicUrl: string }
}

const suspended = () => new ApiError('organization_suspended', 'The organisation is suspended')

/**
 * What a public page's handler gets. Writing on an organisation's behalf checks, inside the
 * transaction, that it is not suspended: a suspended organisation's pages write nothing, whatever
 * the page itself remembered to ask.
 */
export function pageContexts(deps: PageContextDeps): (requestId: string, clientIp: string) => PageContext {
  const { db, tx } = deps
  const status = async (orgDb: AnyDb, orgId: string) =>
    (await coreDb(orgDb).selectFrom('organizations').select('status').where('id', '=', orgId).executeTakeFirst())?.status
  return (requestId, clientIp) => ({
    db,
    dialect: deps.dialect,
    publicUrl: deps.urls.publicUrl,
    log: deps.log,
    requestId,
    clientIp,
    isSuspended: async (orgId) => (await status(db, orgId)) === 'suspended',
    transaction: (orgId, fn) =>
      runInTransaction(tx, null, { ...systemMeta(requestId), clientIp }, orgId, async (scope) => {
        if ((await status(scope.db, orgId)) === 'suspended') throw suspended()
        return fn(scope)
      }),
  })
}
