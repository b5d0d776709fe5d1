import type { Authenticated, Authenticator } from './authenticate.js'
import { extractKey } from './extract-key.js'
import { ApiError } from '../core/errors.js'
import type { RateLimiter, RateLimitPolicy } from '../ratelimit/limiter.js'

/**
 * Authentication with a brake: every 401 counts against the client address, and past the limit
 * further failures from it answer 429. A valid key from the same address is still served.
 */
export class AuthGuard {
  readonly #policy: RateLimitPolicy

  constructor(
    private readonly authenticator: Authenticator,
    private readonly limiter: RateLimiter,
    failuresPerMinute: number,
  ) {
    this.#policy = { name: 'auth_failures', limit: failuresPerMinute, windowSeconds: 60 }
  }

  /** Synchronous for a cached key, so the common request awaits nothing here. `at`: now, in ms. */
  check(authorization: string | undefined, xApiKey: string | undefined, ip: string, at = Date.now()): Authenticated | Promise<Authenticated> {
    try {
      const result = this.authenticator.authenticate(extractKey(authorization, xApiKey), at)
      return result instanceof Promise ? result.catch((error: unknown) => this.#refused(error, ip)) : result
    } catch (error) {
      return this.#refused(error, ip)
    }
  }

  async #refused(error: unknown, ip: string): Promise<never> {
    if (error instanceof ApiError && error.status === 401) {
      const [decision] = await this.limiter.consume([{ bucket: `authfail:${ip}`, policy: this.#policy }])
      if (decision && !decision.allowed) {
        throw new ApiError('rate_limited', `Too many failed authentications from this address; retry in ${decision.resetSeconds} s`, {
          retryAfter: decision.resetSeconds,
        })
      }
    }
    throw error
  }
}
