import { secondsUntil, type RateLimitDecision, type RateLimiter, type RateLimitRequest } from './limiter.js'

/**
 * One bucket's admission times in ms, oldest first, in a ring buffer that grows by doubling up to
 * the limit: a log never holds more entries than its limit, and trimming or adding one moves an
 * index instead of shifting or copying an array, whatever the limit (100,000 a minute costs the
 * same per request as 300).
 */
class Log {
  times = new Float64Array(16)
  head = 0
  count = 0

  constructor(readonly windowMs: number) {}

  /** The i-th oldest entry. */
  at(i: number): number {
    return this.times[(this.head + i) % this.times.length]!
  }

  /** Drops the entries at or before `from`. */
  trim(from: number): void {
    const capacity = this.times.length
    while (this.count > 0 && this.times[this.head]! <= from) {
      this.head = (this.head + 1) % capacity
      this.count--
    }
  }

  push(at: number): void {
    if (this.count === this.times.length) {
      const grown = new Float64Array(this.times.length * 2)
      for (let i = 0; i < this.count; i++) grown[i] = this.at(i)
      this.times = grown
      this.head = 0
    }
    this.times[(this.head + this.count) % this.times.length] = at
    this.count++
  }
}

/** In-process sliding-window log: one instance's counters, lost on restart. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #logs = new Map<string, Log>()
  #sweeps = 0

  /** Synchronous: nothing to wait for in process, so a request spends no promise here. */
  consume(requests: RateLimitRequest[], at = Date.now()): RateLimitDecision[] {
    const logs: Log[] = []
    let admit = true
    for (const request of requests) {
      const log = this.#trimmed(request, at)
      logs.push(log)
      if (log.count >= request.policy.limit) admit = false
    }
    const decisions: RateLimitDecision[] = []
    for (let i = 0; i < requests.length; i++) {
      const { policy } = requests[i]!
      const log = logs[i]!
      const used = log.count
      if (used >= policy.limit) {
        // The (used - limit + 1)-th oldest must leave before one more fits.
        const freeAt = log.at(used - policy.limit) + log.windowMs
        decisions.push({ policy, allowed: false, remaining: 0, resetSeconds: secondsUntil(freeAt, at) })
        continue
      }
      if (admit) log.push(at)
      const oldest = log.count > 0 ? log.at(0) : at
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
      log = new Log(windowMs)
      this.#logs.set(request.bucket, log)
    }
    log.trim(at - windowMs)
    return log
  }

  /** Drops logs whose every entry has left its window, so idle keys cost no memory. */
  #sweep(at: number): void {
    for (const [key, log] of this.#logs) {
      if (log.count === 0 || log.at(log.count - 1) <= at - log.windowMs) this.#logs.delete(key)
    }
  }

  async close(): Promise<void> {
    this.#logs.clear()
  }
}
