import type { RateLimitDecision } from './limiter.js'

/** IETF draft-ietf-httpapi-ratelimit-headers (-10 and later) structured-field syntax. */
export function rateLimitHeaders(decisions: RateLimitDecision[]): { policy: string; state: string } {
  return {
    policy: decisions.map((d) => `"${d.policy.name}";q=${d.policy.limit};w=${d.policy.windowSeconds}`).join(', '),
    state: decisions.map((d) => `"${d.policy.name}";r=${d.remaining};t=${d.resetSeconds}`).join(', '),
  }
}
