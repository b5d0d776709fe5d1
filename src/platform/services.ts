import type { EventTypeSpec } from '../core/module.js'
import type { Operation } from '../core/operation.js'
import type { Principal } from '../core/principal.js'
import type { VerifyAnswer, VerifyContext, VerifyRequest } from '../runtime/verify-key.js'

export interface CatalogService {
  operations(): Operation[]
  isCallable(op: Operation, principal: Principal): boolean
}

/** The events a service key may post for an organisation: those the product declares, never Portico's own. */
export interface PlatformEventsService {
  postable(): EventTypeSpec[]
}

/** The verify API's checks (src/runtime/verify-key.ts), and the classes it may count in. */
export interface VerificationService {
  verify(request: VerifyRequest, context: VerifyContext): Promise<VerifyAnswer>
  limitClasses(): string[]
}

declare module '../core/context.js' {
  interface Services {
    catalog: CatalogService
    platformEvents: PlatformEventsService
    verification: VerificationService
  }
}
