import type { AdmissionPlan, Caller } from '../../auth/caller.js'
import { ApiError } from '../../core/errors.js'
import { rateLimitPolicyHeader, rateLimitStateHeader } from '../../ratelimit/headers.js'
import type { RateLimitDecision, RateLimiter, RateLimitRequest } from '../../ratelimit/limiter.js'
import type { LimitPolicies } from '../../ratelimit/policies.js'
import type { Exchange } from '../exchange.js'
import type { Step } from '../pipeline.js'

/**
 * One check of the admit step: whether this caller may spend a request of this operation now.
 * It refuses by throwing an ApiError (with the headers the refusal carries), and may add response
 * headers with `x.setHeader`. Synchronous where it can be, so the common request awaits nothing.
 */
export interface AdmissionCheck {
  readonly name: string
  check(x: Exchange): void | Promise<void>
}

/** Runs the admission checks in order; the first refusal ends the request. */
export function admit(checks: readonly AdmissionCheck[]): Step {
  const run = (x: Exchange, from: number): void | Promise<void> => {
    for (let i = from; i < checks.length; i++) {
      const pending = checks[i]!.check(x)
      if (pending instanceof Promise) return pending.then(() => run(x, i + 1))
    }
  }
  return { name: 'admit', enter: (x) => run(x, 0) }
}

/**
 * The rate limits: one request from every class the operation belongs to (`general`, plus its
 * own), or none; 429 when any is exhausted. Answers `RateLimit-Policy` and `RateLimit` either way.
 */
export function rateLimits(limiter: RateLimiter, policies: LimitPolicies): AdmissionCheck {
  // A service key speaks for the deployment's backends rather than for one customer, so its
  // platform calls (class `platform`) are counted in that class alone: `general` is a customer key's budget.
  const planOf = (limit: string, caller: Caller): AdmissionPlan => {
    let plan = caller.plans.get(limit)
    if (!plan) {
      const requests: RateLimitRequest[] = []
      if (limit === 'general' || caller.principal.kind !== 'service_key') {
        requests.push({ bucket: `${caller.bucket}:general`, policy: policies.resolve('general', caller.orgLimits, caller.keyLimits) })
      }
      if (limit !== 'general') requests.push({ bucket: `${caller.bucket}:${limit}`, policy: policies.resolve(limit, caller.orgLimits, caller.keyLimits) })
      // An organisation's shared classes: one more bucket, the organisation's, counted all-or-none with the key's.
      if (caller.orgId) {
        for (const name of limit === 'general' ? ['general'] : ['general', limit]) {
          const pool = policies.shared(name, caller.orgLimits)
          if (pool) requests.push({ bucket: `org:${caller.orgId}:${name}`, policy: pool })
        }
      }
      plan = { requests, policyHeader: rateLimitPolicyHeader(requests.map((r) => r.policy)) }
      caller.plans.set(limit, plan)
    }
    return plan
  }
  return {
    name: 'rate_limits',
    check(x) {
      const plan = planOf(x.op.limit, x.caller!)
      const decided = limiter.consume(plan.requests, x.request.at)
      if (decided instanceof Promise) return decided.then((decisions) => decide(x, plan.policyHeader, decisions))
      decide(x, plan.policyHeader, decided)
    },
  }
}

function decide(x: Exchange, policyHeader: string, decisions: RateLimitDecision[]): void {
  const state = rateLimitStateHeader(decisions)
  x.rateLimits = decisions
  x.setHeader('RateLimit-Policy', policyHeader)
  x.setHeader('RateLimit', state)
  let denied: RateLimitDecision | undefined
  let retryAfter = 0
  for (const d of decisions) {
    if (d.allowed) continue
    denied ??= d
    retryAfter = Math.max(retryAfter, d.resetSeconds)
  }
  if (denied) {
    throw new ApiError('rate_limited', `Rate limit "${denied.policy.name}" exceeded; retry in ${retryAfter} s`, {
      retryAfter,
      headers: { 'RateLimit-Policy': policyHeader, RateLimit: state },
    })
  }
}
