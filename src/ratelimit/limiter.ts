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
  allowed: boolean
  /** Requests still available in the window after this one. */
  remaining: number
  /** Seconds until a request is certain to be admitted again (the oldest counted request leaves). */
  resetSeconds: number
}

/**
 * Sliding-window log: a request is admitted only if fewer than `limit` requests were admitted in
 * the last `windowSeconds`, so no window of that length ever holds more than the limit.
 * A request subject to several policies (`general` and `send`) is all-or-nothing: admitted by all
 * of them, or counted by none.
 */
export interface RateLimiter {
  consume(requests: RateLimitRequest[], at?: number): Promise<RateLimitDecision[]>
  close(): Promise<void>
}
