import type { AuthGuard } from '../auth/auth-guard.js'
import type { Operation } from '../core/operation.js'
import type { Principal } from '../core/principal.js'
import type { IdempotencyStore } from '../idempotency/idempotency-store.js'
import type { RateLimiter } from '../ratelimit/limiter.js'
import type { LimitPolicies } from '../ratelimit/policies.js'
import { Exchange, type ExecuteRequest } from './exchange.js'
import type { HandlerDeps } from './handler-context.js'
import type { RequestObserver } from './observers.js'
import { runSteps, type Step } from './pipeline.js'
import { admit, rateLimits, type AdmissionCheck } from './steps/admit.js'
import { authenticate } from './steps/authenticate.js'
import { credits } from './steps/credits.js'
import type { CreditMeter } from '../keys/credits/credit-meter.js'
import { authorise, isCallable } from './steps/authorise.js'
import { idempotency } from './steps/idempotency.js'
import { readInput } from './steps/read-input.js'
import { record } from './steps/record.js'
import { runHandler } from './steps/run-handler.js'

export interface ExecutorDeps extends HandlerDeps {
  /** Validate every answer against its output schema (PORTICO_CHECK_OUTPUT); otherwise it is projected onto it. */
  checkOutput?: boolean | undefined
  guard: AuthGuard
  limiter: RateLimiter
  policies: LimitPolicies
  /** Spends the credits of keys with a balance (see steps/credits.ts). */
  credits: CreditMeter
  idempotency: IdempotencyStore
  /** Told of every outcome (last use, usage, metrics), whichever doorway. */
  observers: RequestObserver[]
  /**
   * Admission checks after the rate limits and credits, in order: each may refuse
   * the request before its body is read. See `AdmissionCheck`.
   */
  admissionChecks?: AdmissionCheck[]
  /** Told of every request the verify API describes: what records a key's use (last use, usage), not metrics. */
  keyObservers?: RequestObserver[]
}

/**
 * The whole of one request, whatever doorway it came through: REST, MCP and the dashboard only
 * translate their wire format to an `ExecuteRequest` and the resulting `Exchange` back. The order
 * of the steps is written here, once.
 */
export class OperationExecutor {
  readonly steps: readonly Step[]
  /**
   * The verify API's pipeline: the same authentication, authorisation and admission steps (the
   * very objects) over the request a product's own edge describes, recorded as that key's use;
   * no body, no handler.
   */
  readonly verifySteps: readonly Step[]

  constructor(readonly deps: ExecutorDeps) {
    const admission = admit([rateLimits(deps.limiter, deps.policies), credits(deps.credits, deps.limiter), ...(deps.admissionChecks ?? [])])
    const who = authenticate(deps.guard)
    this.verifySteps = [record(deps.keyObservers ?? deps.observers), who, authorise, admission]
    this.steps = [
      // On the way out, last: observers hear of every outcome, refusals included.
      record(deps.observers),
      // Who is calling.
      who,
      // May they call this: audience (kind of key), scope, suspension, the key's IP allow-list.
      authorise,
      // May they call it now: rate limits, then the key's credits (all or none), then the deployment's other admission checks.
      admission,
      // The body, read only now, and the input validated.
      readInput,
      // Idempotency-Key: a replay answers here; on the way out the answer is stored, secrets redacted.
      idempotency(deps.idempotency),
      // The handler.
      runHandler(deps),
    ]
  }

  /**
   * Runs one request through every step. Never rejects with a refusal: the exchange holds the
   * answer, or the error (an ApiError to answer as its envelope, anything else as 500). Without
   * a promise when no step needs one (a cached key, the in-process limiter, a synchronous handler).
   */
  execute(request: ExecuteRequest): Exchange | Promise<Exchange> {
    return runSteps(this.steps, new Exchange(request))
  }

  /** Runs the verify API's steps (`verifySteps`) over the request it describes. */
  check(request: ExecuteRequest): Exchange | Promise<Exchange> {
    return runSteps(this.verifySteps, new Exchange(request))
  }

  isCallable(op: Operation, principal: Principal): boolean {
    return isCallable(op, principal)
  }
}

export type { Answer, ExecuteRequest, Exchange } from './exchange.js'
