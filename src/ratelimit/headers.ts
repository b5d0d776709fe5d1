import type { RateLimitDecision, RateLimitPolicy } from './limiter.js'

/** IETF draft-ietf-httpapi-ratelimit-headers (-10 and later) structured-field syntax. */
export function rateLimitPolicyHeader(policies: RateLimitPolicy[]): string {
  return policies.map((p) => `"${p.name}";q=${p.limit};w=${p.windowSeconds}`).join(', ')
}

export function rateLimitStateHeader(decisions: RateLimitDecision[]): string {
  let state = ''
  for (const d of decisions) state += `${state ? ', ' : ''}"${d.policy.name}";r=${d.remaining};t=${d.resetSeconds}`
  return state
}
