import type { Operation } from '../core/operation.js'
import type { Principal } from '../core/principal.js'

export interface CatalogService {
  operations(): Operation[]
  isCallable(op: Operation, principal: Principal): boolean
}

declare module '../core/context.js' {
  interface Services {
    catalog: CatalogService
  }
}
