import { SLOTS, secondsUntil, type RateLimitDecision, type RateLimiter, type RateLimitRequest } from './limiter.js'

const RING = SLOTS + 1

/**
 * One bucket's sliding window as counts per slot (a sixtieth of the window), in a ring of
 * SLOTS + 1: the slots the window touches. Its size does not depend on the limit, so a key allowed
 * a million requests a minute holds as little as one allowed three hundred.
 */
class Window {
  readonly counts = new Int32Array(RING)
  readonly slotMs: number
  total = 0
  /** The lowest slot that may hold a count; every count is in [oldest, oldest + SLOTS]. */
  oldest = -Infinity
  /** The slot a request at the last `advance` counts in. */
  slot = 0

  constructor(readonly windowMs: number) {
    this.slotMs = windowMs / SLOTS
  }

  /** Drops the slots that have left the window at `at` (ms). */
  advance(at: number): void {
    // A clock that stepped back counts in the oldest slot still held, never outside the ring.
    const slot = Math.max(Math.floor(at / this.slotMs), this.oldest)
    this.slot = slot
    if (this.total > 0 && slot - SLOTS - this.oldest < RING) {
      for (const first = slot - SLOTS; this.oldest < first; this.oldest++) {
        const i = this.oldest % RING
        this.total -= this.counts[i]!
        this.counts[i] = 0
      }
      // Empty slots at the old end are passed once, so the oldest count's leaving time is at hand.
      while (this.total > 0 && this.counts[this.oldest % RING] === 0) this.oldest++
    } else if (this.total > 0) {
      this.counts.fill(0)
      this.total = 0
    }
    if (this.total === 0) this.oldest = slot
  }

  add(): void {
    this.counts[this.slot % RING]!++
    this.total++
  }

  /** Takes one count back, from the newest slot that holds one. */
  remove(): void {
    for (let slot = this.slot; slot >= this.oldest && this.total > 0; slot--) {
      const i = slot % RING
      if (this.counts[i]! > 0) {
        this.counts[i]!--
        this.total--
        break
      }
    }
    if (this.total === 0) this.oldest = this.slot
  }

  /** When the slot holding the `n`-th oldest count leaves the window (ms). */
  freeAt(n: number): number {
    let seen = 0
    let slot = this.oldest
    for (; ; slot++) {
      seen += this.counts[slot % RING]!
      if (seen >= n) break
    }
    return (slot + RING) * this.slotMs
  }
}

/** In-process sliding window (see limiter.ts): one instance's counters, lost on restart. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #windows = new Map<string, Window>()
  #sweeps = 0

  /** Synchronous: nothing to wait for in process, so a request spends no promise here. */
  consume(requests: RateLimitRequest[], at = Date.now()): RateLimitDecision[] {
    if (++this.#sweeps % 10_000 === 0) this.#sweep(at)
    // One class (the common case): its own room decides.
    if (requests.length === 1) return [this.#decide(requests[0]!, this.#window(requests[0]!, at), at, true)]
    const windows = requests.map((request) => this.#window(request, at))
    const admit = requests.every((request, i) => windows[i]!.total < request.policy.limit)
    return requests.map((request, i) => this.#decide(request, windows[i]!, at, admit))
  }

  /** The bucket's window, advanced to `at`. */
  #window(request: RateLimitRequest, at: number): Window {
    const windowMs = request.policy.windowSeconds * 1000
    // Keyed by the bucket string alone, which callers reuse, so the look-up hashes nothing new. A
    // bucket whose window changed (an override) starts a new count, as a new key would.
    let window = this.#windows.get(request.bucket)
    if (!window || window.windowMs !== windowMs) {
      window = new Window(windowMs)
      this.#windows.set(request.bucket, window)
    }
    window.advance(at)
    return window
  }

  /** `admit`: whether every class of the request has room; only then is it counted here. */
  #decide({ policy }: RateLimitRequest, window: Window, at: number, admit: boolean): RateLimitDecision {
    const used = window.total
    if (used >= policy.limit) {
      return { policy, allowed: false, remaining: 0, resetSeconds: secondsUntil(window.freeAt(used - policy.limit + 1), at) }
    }
    if (admit) window.add()
    const oldestLeaves = window.total > 0 ? window.freeAt(1) : at + window.windowMs
    return { policy, allowed: true, remaining: policy.limit - window.total, resetSeconds: secondsUntil(oldestLeaves, at) }
  }

  release(requests: RateLimitRequest[], at = Date.now()): void {
    for (const request of requests) {
      const window = this.#windows.get(request.bucket)
      if (!window || window.windowMs !== request.policy.windowSeconds * 1000) continue
      window.advance(at)
      window.remove()
    }
  }

  /** Drops windows whose every count has left, so idle keys cost no memory. */
  #sweep(at: number): void {
    for (const [bucket, window] of this.#windows) {
      window.advance(at)
      if (window.total === 0) this.#windows.delete(bucket)
    }
  }

  async close(): Promise<void> {
    this.#windows.clear()
  }
}
