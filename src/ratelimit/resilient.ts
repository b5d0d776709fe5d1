import type { Logger } from 'pino'
import { ApiError } from '../core/errors.js'
import type { RateLimitDecision, RateLimiter, RateLimitRequest } from './limiter.js'

/**
 * Keeps answering when the shared limiter (Redis) is unreachable: fail-open counts in this process
 * instead, fail-closed answers 503. The switch and the recovery are each logged once. While
 * degraded, Redis is tried again at most once per `probeMs`, so an outage that times out rather
 * than refusing connections does not make every request wait for the timeout.
 */
export class ResilientRateLimiter implements RateLimiter {
  #degraded = false
  #probeAt = 0

  constructor(
    private readonly primary: RateLimiter,
    private readonly fallback: RateLimiter,
    private readonly failOpen: boolean,
    private readonly log: Logger,
    private readonly probeMs = 1000,
  ) {}

  get degraded(): boolean {
    return this.#degraded
  }

  /** Written with `then` rather than `await`: one promise per request on the path every Redis-limited request takes. */
  consume(requests: RateLimitRequest[], at?: number): RateLimitDecision[] | Promise<RateLimitDecision[]> {
    if (this.#degraded && Date.now() < this.#probeAt) return this.#instead(requests, at)
    let pending: RateLimitDecision[] | Promise<RateLimitDecision[]>
    try {
      pending = this.primary.consume(requests, at)
    } catch (err) {
      return this.#failed(err, requests, at)
    }
    if (!(pending instanceof Promise)) return this.#answered(pending)
    return pending.then(this.#answered, (err: unknown) => this.#failed(err, requests, at))
  }

  readonly #answered = (decisions: RateLimitDecision[]): RateLimitDecision[] => {
    if (this.#degraded) {
      this.#degraded = false
      this.log.warn('rate limiter: Redis is back; counters are shared again')
    }
    return decisions
  }

  #failed(err: unknown, requests: RateLimitRequest[], at?: number): RateLimitDecision[] | Promise<RateLimitDecision[]> {
    this.#probeAt = Date.now() + this.probeMs
    if (!this.#degraded) {
      this.#degraded = true
      this.log.error(
        { err },
        this.failOpen
          ? 'rate limiter: Redis unreachable; counting in this process until it returns (fail-open)'
          : 'rate limiter: Redis unreachable; refusing requests with 503 until it returns (fail-closed)',
      )
    }
    return this.#instead(requests, at)
  }

  /** Where the request was counted: Redis unless degraded (a failed release costs at most one count). */
  async release(requests: RateLimitRequest[], at?: number): Promise<void> {
    if (this.#degraded) return this.fallback.release(requests, at)
    await Promise.resolve(this.primary.release(requests, at)).catch(() => undefined)
  }

  #instead(requests: RateLimitRequest[], at?: number): RateLimitDecision[] | Promise<RateLimitDecision[]> {
    if (!this.failOpen) throw new ApiError('service_unavailable', 'Rate limiting is unavailable; retry shortly', { retryAfter: 1 })
    return this.fallback.consume(requests, at)
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close(), this.fallback.close()])
  }
}
