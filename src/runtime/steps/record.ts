import type { RequestObserver } from '../observers.js'
import type { Step } from '../pipeline.js'

/**
 * Last on the way out: every observer (last use, usage counts, metrics) hears of the outcome,
 * answer or refusal, whichever doorway it came through.
 */
export function record(observers: readonly RequestObserver[]): Step {
  return {
    name: 'record',
    leave(x) {
      const { op, doorway, at } = x.request
      const outcome = { operation: op, principal: x.principal, status: x.status, durationMs: performance.now() - x.started, at, doorway }
      for (const observe of observers) observe(outcome)
    },
  }
}
