import { ApiError } from '../../core/errors.js'
import type { Operation } from '../../core/operation.js'
import { audienceAdmits, wrongKeyTypeMessage, type Principal } from '../../core/principal.js'
import type { Step } from '../pipeline.js'
import { checkClientAddress } from '../../keys/key-rules.js'

/** Audience, scope and suspension, in that order: a wrong kind of key learns nothing about scopes. */
export function authorisePrincipal(op: Pick<Operation, 'audience' | 'scope' | 'method'>, principal: Principal): void {
  if (!audienceAdmits(op.audience, principal)) throw new ApiError('wrong_key_type', wrongKeyTypeMessage(op.audience, principal))
  if (op.scope !== null && !principal.scopes.includes(op.scope)) {
    throw new ApiError('insufficient_scope', `This operation needs the "${op.scope}" scope`)
  }
  // Keys of a suspended organisation never get this far (authentication refuses them); its
  // dashboard users may still look, but write nothing.
  if (principal.kind === 'user' && principal.orgStatus === 'suspended' && op.method !== 'get') {
    throw new ApiError('organization_suspended', 'The organisation is suspended: nothing can be changed until it is resumed')
  }
}

/** Whether `principal` passes the audience and scope checks of `op` (the catalog's `callable`, MCP's tool list). */
export function isCallable(op: Operation, principal: Principal): boolean {
  return audienceAdmits(op.audience, principal) && (op.scope === null || principal.scopes.includes(op.scope))
}

export const authorise: Step = {
  name: 'authorise',
  enter(x) {
    authorisePrincipal(x.op, x.principal!)
    // The key's IP allow-list, against the client address as PORTICO_TRUST_PROXY determines it.
    const rules = x.caller!.rules
    if (rules) checkClientAddress(rules, x.request.meta.clientIp)
  },
}
