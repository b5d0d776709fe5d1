import type { Principal } from '../core/principal.js'
import type { RateLimitOverride } from '../keys/key-store.js'
import type { RateLimitRequest } from '../ratelimit/limiter.js'
import type { KeyRules } from '../keys/key-rules.js'

/** What to count for one operation class, worked out once per caller and class. */
export interface AdmissionPlan {
  requests: RateLimitRequest[]
  policyHeader: string
}

/**
 * Who is calling, as the request pipeline sees them: the principal, the rate-limit bucket and the
 * overrides that apply. Built from a key row once (authentication) or from a dashboard session;
 * the pipeline never reads storage columns itself.
 */
export interface Caller {
  readonly principal: Principal
  /** Rate-limit bucket: the key id, or `user:<id>` for a dashboard session. */
  readonly bucket: string
  readonly keyLimits: Readonly<Record<string, RateLimitOverride>>
  readonly orgLimits: Readonly<Record<string, RateLimitOverride>>
  /** Admission plans by operation class, filled on first use and kept as long as the caller is. */
  readonly plans: Map<string, AdmissionPlan>
  /** The organisation whose shared rate-limit pools also count this caller's requests (org keys). */
  readonly orgId?: string | null
  /** A key's own rules (IP allow-list, credit balance); absent for a dashboard session. */
  readonly rules?: KeyRules
}

const NO_LIMITS: Readonly<Record<string, RateLimitOverride>> = Object.freeze(Object.create(null) as Record<string, RateLimitOverride>)
const callers = new WeakMap<Principal, Caller>()

/** A principal the doorway authenticated itself (a dashboard session): its own bucket, the deployer's limits. */
export function callerOf(principal: Principal): Caller {
  let caller = callers.get(principal)
  if (!caller) {
    const bucket = principal.kind === 'user' ? `user:${principal.userId}` : principal.keyId
    caller = { principal, bucket, keyLimits: NO_LIMITS, orgLimits: NO_LIMITS, plans: new Map() }
    callers.set(principal, caller)
  }
  return caller
}
