import type { OperationContext } from '../../core/context.js'
import type { KeyOwner } from '../../keys/key-store.js'
import { resellerOf } from '../reseller-service.js'

/** A reseller manages its own keys through the same KeyService rules as an organisation does. */
export function resellerKeyOwner(ctx: OperationContext): KeyOwner {
  return { type: 'reseller', resellerId: resellerOf(ctx.principal).resellerId }
}
