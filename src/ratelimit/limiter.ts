export interface RateLimitPolicy {
  name: string
  limit: number
  windowSeconds: number
}

export interface RateLimitRequest {
  bucket: string
  policy: RateLimitPolicy
}

export interface RateLimitDecision {
  policy: RateLimitPolicy
  /** This policy had room. The request was counted only if every policy of it had room. */
  allowed: boolean
  /** Requests still available in the window (after this one, if it was counted). */
  remaining: number
  /**
   * Whole seconds, rounded up, until this policy has room again (refused), or until its oldest
   * counted request leaves the window (allowed), so a client that waits that long is admitted.
   */
  resetSeconds: number
}

/**
 * Sliding window counted in slots of a sixtieth of the window (1 s for a minute): a request is
 * admitted only if fewer than `limit` were admitted in the slots the last `windowSeconds` touch.
 * That span holds the whole window, so no window of that length ever holds more than the limit;
 * an admitted request counts until its slot has left the window, up to one slot longer than an
 * exact log would keep it. The state per bucket is SLOTS + 1 counters whatever the limit.
 * A request subject to several policies (`general` and `send`) is all-or-nothing: admitted by all
 * of them, or counted by none.
 */
export interface RateLimiter {
  /** The in-process limiter answers synchronously; one that asks another process, with a promise. */
  consume(requests: RateLimitRequest[], at?: number): RateLimitDecision[] | Promise<RateLimitDecision[]>
  /**
   * Un-counts a request that `consume` admitted and something after it refused (a key out of
   * credits), so a refused request is counted nowhere: one count off each bucket, from the newest
   * slot holding one.
   */
  release(requests: RateLimitRequest[], at?: number): void | Promise<void>
  close(): Promise<void>
}

/** Whole seconds from `now` to `at` (ms), rounded up, and at least 1. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000))
}

/** Slots per window: the counting grain (a request counts up to a sixtieth of the window too long). */
export const SLOTS = 60
