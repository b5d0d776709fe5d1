import type { Principal } from '../../core/principal.js'
import type { KeyOwner } from '../key-store.js'

export function ownerOf(principal: Principal): KeyOwner {
  return principal.kind === 'reseller_key' ? { type: 'reseller', resellerId: principal.resellerId } : { type: 'org', orgId: principal.orgId }
}
