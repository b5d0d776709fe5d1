import type { Operation } from '../core/operation.js'
import type { Principal } from '../core/principal.js'

/** What happened in one API request, for last-use tracking, usage counts and metrics. */
export interface RequestOutcome {
  operation: Operation | undefined
  principal: Principal | undefined
  status: number
  durationMs: number
  at: number
}

export type RequestObserver = (outcome: RequestOutcome) => void
