export const DELIVERY_WINDOW_MS = 24 * 60 * 60 * 1000
export const DISABLE_AFTER_MS = 3 * 24 * 60 * 60 * 1000

/**
 * Exponential back-off with full jitter: attempt n waits a random time up to 15 s × 2^(n-1), capped
 * at 4 h, so retries of many endpoints spread out. The last attempt is never later than the
 * delivery's deadline (24 h after the event); null means the deadline has passed.
 */
export function nextAttemptAt(attempts: number, now: number, deadline: number, retryAfterSeconds: number | null, random = Math.random): number | null {
  if (now >= deadline) return null
  const ceiling = Math.min(15_000 * 2 ** Math.max(0, attempts - 1), 4 * 60 * 60 * 1000)
  let next = now + Math.max(1000, Math.round(ceiling * random()))
  if (retryAfterSeconds !== null) next = Math.max(next, now + retryAfterSeconds * 1000)
  return Math.min(next, deadline)
}
