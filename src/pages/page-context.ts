import type { Logger } from 'pino'
import type { AnyDb } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import type { Mailer } from '../core/mail.js'
import type { PageAdmission, PageContext, PageQuota } from '../core/module.js'
import { parseRateLimits } from '../keys/key-store.js'
import type { RateLimiter, RateLimitRequest } from '../ratelimit/limiter.js'
import type { LimitPolicies } from '../ratelimit/policies.js'
import { runInTransaction, systemMeta, type TransactionDeps } from '../core/transaction.js'
import { coreDb } from '../storage/db.js'

export interface PageContextDeps {
  db: AnyDb
  dialect: 'sqlite' | 'postgres'
  log: Logger
  tx: TransactionDeps
  limiter: RateLimiter
  policies: LimitPolicies
  /** Read at use: the base URL may be settled only once the server listens. */
  urls: { readonly publicUrl: string }
  mail: Mailer
}

const suspended = () => new ApiError('organization_suspended', 'The organisation is suspended')

/** Page buckets live apart from keys' (`page:`), so no page can spend a key's quota or the reverse. */
async function requestsFor(deps: PageContextDeps, quotas: PageQuota[]): Promise<RateLimitRequest[]> {
  return Promise.all(
    quotas.map(async (q): Promise<RateLimitRequest> => {
      if ('name' in q) return { bucket: `page:${q.name}:${q.bucket}`, policy: { name: q.name, limit: q.limit, windowSeconds: q.windowSeconds } }
      const org = await coreDb(deps.db).selectFrom('organizations').select('rate_limits').where('id', '=', q.orgId).executeTakeFirst()
      return { bucket: `page:org:${q.orgId}:${q.limitClass}`, policy: deps.policies.resolve(q.limitClass, parseRateLimits(org?.rate_limits ?? null), {}) }
    }),
  )
}

async function spend(deps: PageContextDeps, quotas: PageQuota[]): Promise<PageAdmission> {
  const decisions = await deps.limiter.consume(await requestsFor(deps, quotas))
  const refused = decisions.filter((d) => !d.allowed)
  if (refused.length === 0) return { allowed: true }
  return { allowed: false, retryAfter: Math.max(...refused.map((d) => d.resetSeconds)), name: refused[0]!.policy.name }
}

/**
 * What a public page's handler gets. Writing on an organisation's behalf checks, inside the
 * transaction, that it is not suspended: a suspended organisation's pages write nothing, whatever
 * the page itself remembered to ask.
 */
export function pageContexts(deps: PageContextDeps): (requestId: string, clientIp: string, serverRequestId: string) => PageContext {
  const { db, tx } = deps
  const status = async (orgDb: AnyDb, orgId: string) =>
    (await coreDb(orgDb).selectFrom('organizations').select('status').where('id', '=', orgId).executeTakeFirst())?.status
  return (requestId, clientIp, serverRequestId) => ({
    db,
    dialect: deps.dialect,
    publicUrl: deps.urls.publicUrl,
    log: deps.log,
    mail: deps.mail,
    requestId,
    clientIp,
    spend: (quotas) => spend(deps, quotas),
    isSuspended: async (orgId) => (await status(db, orgId)) === 'suspended',
    transaction: (orgId, fn) =>
      runInTransaction(tx, null, { ...systemMeta(requestId), serverRequestId, clientIp }, orgId, async (scope) => {
        if ((await status(scope.db, orgId)) === 'suspended') throw suspended()
        return fn(scope)
      }),
  })
}
