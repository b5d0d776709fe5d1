import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from './limiter.js'

interface Log {
  /** Admission times in ms, oldest first; `head` skips entries that left the window. */
  times: number[]
  head: number
}

/** In-process sliding-window log; one instance's counters, lost on restart. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #logs = new Map<string, Log>()
  #sweeps = 0

  async consume(bucket: string, policy: RateLimitPolicy, at = Date.now()): Promise<RateLimitDecision> {
    return this.consumeSync(bucket, policy, at)
  }

  consumeSync(bucket: string, policy: RateLimitPolicy, at = Date.now()): RateLimitDecision {
    const windowMs = policy.windowSeconds * 1000
    const key = `${bucket}\u0000${policy.windowSeconds}`
    let log = this.#logs.get(key)
    if (!log) {
      log = { times: [], head: 0 }
      this.#logs.set(key, log)
    }
    const from = at - windowMs
    while (log.head < log.times.length && log.times[log.head]! <= from) log.head++
    if (log.head > 1024 && log.head * 2 > log.times.length) {
      log.times = log.times.slice(log.head)
      log.head = 0
    }
    const used = log.times.length - log.head
    if (used >= policy.limit) {
      // The (used - limit + 1)-th oldest must leave before one more fits.
      const freeAt = log.times[log.head + used - policy.limit]! + windowMs
      return { policy, allowed: false, remaining: 0, resetSeconds: Math.max(1, Math.ceil((freeAt - at) / 1000)) }
    }
    log.times.push(at)
    if (++this.#sweeps % 10_000 === 0) this.#sweep(at)
    const oldest = log.times[log.head]!
    return {
      policy,
      allowed: true,
      remaining: policy.limit - used - 1,
      resetSeconds: Math.max(1, Math.ceil((oldest + windowMs - at) / 1000)),
    }
  }

  /** Drops logs whose every entry has left its window, so idle keys cost no memory. */
  #sweep(at: number): void {
    for (const [key, log] of this.#logs) {
      const windowMs = Number(key.slice(key.lastIndexOf('\u0000') + 1)) * 1000
      if (log.times.length === 0 || log.times[log.times.length - 1]! <= at - windowMs) this.#logs.delete(key)
    }
  }

  async close(): Promise<void> {
    this.#logs.clear()
  }
}
