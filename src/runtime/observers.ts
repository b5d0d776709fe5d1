import type { Operation } from '../core/operation.js'
import type { Principal } from '../core/principal.js'

/** Which doorway a request came through. */
export type Doorway = 'rest' | 'mcp' | 'dashboard' | 'verify'

/** What happened in one request, for last-use tracking, usage counts and metrics. */
export interface RequestOutcome {
  operation: Operation | undefined
  principal: Principal | undefined
  status: number
  durationMs: number
  at: number
  doorway: Doorway
}

export type RequestObserver = (outcome: RequestOutcome) => void
