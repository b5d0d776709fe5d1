import { RefusedKey, type Authenticated } from '../auth/authenticate.js'
import type { Caller } from '../auth/caller.js'
import type { RequestMeta } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import { defineOperation, type Operation } from '../core/operation.js'
import type { Scope } from '../core/scopes.js'
import { isoTimestamp, z } from '../core/schema.js'
import type { RateLimitDecision } from '../ratelimit/limiter.js'
import type { Exchange, ExecuteRequest } from './exchange.js'

export const verifyCodes = [
  'valid',
  'invalid_api_key',
  'api_key_expired',
  'api_key_revoked',
  'insufficient_scope',
  'rate_limited',
  'usage_exceeded',
  'organization_suspended',
  'ip_not_allowed',
] as const
export type VerifyCode = (typeof verifyCodes)[number]

export interface VerifyRequest {
  key: string
  scope?: Scope | undefined
  /** A rate-limit class; `general` when absent. */
  limit?: string | undefined
  cost?: number | undefined
  ip?: string | undefined
}

export interface VerifiedKeyView {
  id: string
  prefix: string
  name: string
  org_id: string
  org_external_id: string | null
  scopes: Scope[]
  meta: Record<string, unknown>
  expires_at: string | null
}

export interface VerifyAnswer {
  valid: boolean
  code: VerifyCode
  key: VerifiedKeyView | null
  ratelimits: { name: string; limit: number; remaining: number; reset_seconds: number }[]
  credits: { remaining: number } | null
}

/** The verify API's view of the target request: an organisation operation needing `scope`, in class `limit`, costing `cost`. */
const TARGET: Operation = defineOperation({
  id: 'platform.verified_request',
  method: 'post',
  path: '/platform/verify',
  summary: 'A request the product serves itself, verified through POST /platform/verify',
  audience: 'org',
  scope: null,
  output: z.unknown(),
  handler: () => {
    throw new Error('a verified request runs no handler here')
  },
})

/** Who asks (the service key's own request) and what it names. */
export interface VerifyContext {
  meta: RequestMeta
  /** The service key that asks: failed verifications without an `ip` count against it. */
  serviceKeyId: string
  at: number
}

const ratelimitsOf = (decisions: RateLimitDecision[] | undefined) =>
  (decisions ?? []).map((d) => ({ name: d.policy.name, limit: d.policy.limit, remaining: d.remaining, reset_seconds: d.resetSeconds }))

function viewOf(auth: Authenticated | Caller | undefined): VerifiedKeyView | null {
  if (!auth || auth.principal.kind !== 'org_key' || !('key' in auth)) return null
  const { principal, key } = auth
  return {
    id: principal.keyId,
    prefix: principal.keyPrefix,
    name: principal.keyName,
    org_id: principal.orgId,
    org_external_id: key.org_external_id ?? null,
    scopes: [...principal.scopes],
    meta: { ...principal.keyMeta },
    expires_at: isoTimestamp(principal.keyExpiresAt),
  }
}

const codes = new Set<string>(verifyCodes)

/**
 * The verify API: whether a product's own edge may serve a request made with `key`. It runs the
 * request pipeline's own first steps (`OperationExecutor.verifySteps`: authenticate, authorise,
 * admit, and record on the way out) over the request it describes, so it refuses exactly what a
 * request would be refused and spends and records what a request would; only the answer differs:
 * 200 with a `code` instead of an error.
 */
export class KeyVerifier {
  constructor(private readonly run: (request: ExecuteRequest) => Exchange | Promise<Exchange>) {}

  async verify(request: VerifyRequest, context: VerifyContext): Promise<VerifyAnswer> {
    const op: Operation = { ...TARGET, scope: request.scope ?? null, limit: request.limit ?? 'general', cost: request.cost ?? 1 }
    const ran = this.run({
      op,
      doorway: 'verify',
      credentials: { authorization: request.key },
      // Without `ip` the client address is no address at all, so an allow-listed key is refused,
      // and failed verifications count against the asking service key rather than one shared bucket.
      meta: { ...context.meta, clientIp: request.ip ?? `service:${context.serviceKeyId}` },
      at: context.at,
    })
    const x = ran instanceof Promise ? await ran : ran
    const credits = creditsOf(x.headers)
    if (x.error === undefined) {
      const key = viewOf(x.caller)
      if (key) return { valid: true, code: 'valid', key, ratelimits: ratelimitsOf(x.rateLimits), credits }
      return refused('invalid_api_key', null)
    }
    if (!(x.error instanceof ApiError)) throw x.error
    const error = x.error
    if (error instanceof RefusedKey) return refused(error.code as VerifyCode, viewOf(error.refused))
    // A reseller or service key is no key of the product's API; a key never found is null too.
    if (error.code === 'wrong_key_type' || error.code === 'missing_api_key' || !codes.has(error.code)) return refused('invalid_api_key', null)
    return { valid: false, code: error.code as VerifyCode, key: viewOf(x.caller), ratelimits: ratelimitsOf(x.rateLimits), credits }
  }
}

/** The balance an admission check reported (`Portico-Credits-Remaining`), for a key with credits. */
function creditsOf(headers: Record<string, string> | undefined): { remaining: number } | null {
  const value = headers?.['Portico-Credits-Remaining']
  return value === undefined || !/^\d+$/.test(value) ? null : { remaining: Number(value) }
}

function refused(code: VerifyCode, key: VerifiedKeyView | null): VerifyAnswer {
  return { valid: false, code, key, ratelimits: [], credits: null }
}
