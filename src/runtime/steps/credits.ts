import { ApiError } from '../../core/errors.js'
import type { CreditMeter, CreditSpend } from '../../keys/credits/credit-meter.js'
import type { RateLimiter, RateLimitRequest } from '../../ratelimit/limiter.js'
import type { Exchange } from '../exchange.js'
import type { AdmissionCheck } from './admit.js'

export const CREDITS_HEADER = 'Portico-Credits-Remaining'

/**
 * A key's credits, after the rate limits admitted the request: the operation's `cost` is spent,
 * and the balance answered in `Portico-Credits-Remaining`. Out of credits, the rate limits' count
 * is taken back before the 429 `usage_exceeded`, so a request is counted by every check or by
 * none (one the rate limits refuse never gets here). A key without a balance costs one test.
 */
export function credits(meter: CreditMeter, limiter: RateLimiter): AdmissionCheck {
  return {
    name: 'credits',
    check(x) {
      const credited = x.caller?.rules?.credited
      if (!credited) return
      const spent = meter.spend(credited, x.op.cost, x.request.at)
      return spent instanceof Promise ? spent.then((s) => settle(x, s, limiter)) : settle(x, spent, limiter)
    },
  }
}

function settle(x: Exchange, spend: CreditSpend, limiter: RateLimiter): void | Promise<void> {
  x.setHeader(CREDITS_HEADER, String(spend.remaining))
  if (spend.allowed) return
  const refuse = () => {
    const when = spend.retryAfter === undefined ? '' : `; it is refilled in ${spend.retryAfter} s`
    throw new ApiError('usage_exceeded', `This key has no credits left for this request${when}`, {
      ...(spend.retryAfter === undefined ? {} : { retryAfter: spend.retryAfter }),
      headers: { ...x.headers },
    })
  }
  const counted: RateLimitRequest[] = x.caller!.plans.get(x.op.limit)?.requests ?? []
  const released = limiter.release(counted, x.request.at)
  if (released instanceof Promise) return released.then(refuse)
  refuse()
}
