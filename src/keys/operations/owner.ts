import { orgIdOf, type Principal } from '../../core/principal.js'
import type { KeyOwner } from '../key-store.js'

export function ownerOf(principal: Principal): KeyOwner {
  if (principal.kind === 'reseller_key') return { type: 'reseller', resellerId: principal.resellerId }
  return { type: 'org', orgId: orgIdOf(principal) }
}
