import { secondsUntil, type RateLimitDecision, type RateLimiter, type RateLimitRequest } from './limiter.js'

interface Log {
  /** Admission times in ms, oldest first; `head` skips entries that left the window. */
  times: number[]
  head: number
  windowMs: number
}

/** In-process sliding-window log: one instance's counters, lost on restart. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #logs = new Map<string, Log>()
  #sweeps = 0

  async consume(requests: RateLimitRequest[], at = Date.now()): Promise<RateLimitDecision[]> {
    return this.consumeSync(requests, at)
  }

  consumeSync(requests: RateLimitRequest[], at = Date.now()): RateLimitDecision[] {
    const logs: Log[] = []
    let admit = true
    for (const request of requests) {
      const log = this.#trimmed(request, at)
      logs.push(log)
      if (log.times.length - log.head >= request.policy.limit) admit = false
    }
    const decisions: RateLimitDecision[] = []
    for (let i = 0; i < requests.length; i++) {
      const { policy } = requests[i]!
      const log = logs[i]!
      const used = log.times.length - log.head
      if (used >= policy.limit) {
        // The (used - limit + 1)-th oldest must leave before one more fits.
        const freeAt = log.times[log.head + used - policy.limit]! + log.windowMs
        decisions.push({ policy, allowed: false, remaining: 0, resetSeconds: secondsUntil(freeAt, at) })
        continue
      }
      if (admit) log.times.push(at)
      const oldest = log.times[log.head] ?? at
      decisions.push({ policy, allowed: true, remaining: policy.limit - used - (admit ? 1 : 0), resetSeconds: secondsUntil(oldest + log.windowMs, at) })
    }
    if (++this.#sweeps % 10_000 === 0) this.#sweep(at)
    return decisions
  }

  #trimmed(request: RateLimitRequest, at: number): Log {
    const windowMs = request.policy.windowSeconds * 1000
    // Keyed by the bucket string alone, which callers reuse, so the look-up hashes nothing new. A
    // bucket whose window changed (an override) starts a new log, as a new key would.
    let log = this.#logs.get(request.bucket)
    if (!log || log.windowMs !== windowMs) {
      log = { times: [], head: 0, windowMs }
      this.#logs.set(request.bucket, log)
    }
    const from = at - windowMs
    while (log.head < log.times.length && log.times[log.head]! <= from) log.head++
    if (log.head > 1024 && log.head * 2 > log.times.length) {
      log.times = log.times.slice(log.head)
      log.head = 0
    }
    return log
  }

  /** Drops logs whose every entry has left its window, so idle keys cost no memory. */
  #sweep(at: number): void {
    for (const [key, log] of this.#logs) {
      if (log.times.length === 0 || log.times[log.times.length - 1]! <= at - log.windowMs) this.#logs.delete(key)
    }
  }

  async close(): Promise<void> {
    this.#logs.clear()
  }
}
