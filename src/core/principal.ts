import type { Scope } from './scopes.js'

/** Who is calling. Keys and dashboard users reach the same handlers through this one shape. */
export type Principal = OrgKeyPrincipal | ResellerKeyPrincipal | ServiceKeyPrincipal | UserPrincipal

/** What every kind of key tells about itself, read from its cached row. */
interface KeyFields {
  keyId: string
  keyPrefix: string
  keyName: string
  scopes: readonly Scope[]
  keyExpiresAt: string | null
  /** The key's metadata (`meta`), parsed once per cached key: `{}` when it has none. */
  keyMeta?: Readonly<Record<string, unknown>>
  /** Whether the key has a credit balance (known from the cached key, so a key without one reads nothing to say so). */
  keyHasCredits?: boolean
}

export interface OrgKeyPrincipal extends KeyFields {
  kind: 'org_key'
  orgId: string
  /** The organisation's external id, when its reseller gave it one. */
  orgExternalId?: string | null
}

export interface ResellerKeyPrincipal extends KeyFields {
  kind: 'reseller_key'
  resellerId: string
}

/** A key of the deployment itself (`psk_…`), for its own backends: platform operations only. */
export interface ServiceKeyPrincipal extends KeyFields {
  kind: 'service_key'
}

export interface UserPrincipal {
  kind: 'user'
  orgId: string
  userId: string
  email: string
  role: 'owner' | 'admin' | 'member'
  scopes: readonly Scope[]
  /** The organisation's status, read with the session: a suspended one's users may read, not write. */
  orgStatus: 'active' | 'suspended'
}

export type Audience = 'org' | 'reseller' | 'service'

export function audienceOf(principal: Principal): Audience {
  return principal.kind === 'reseller_key' ? 'reseller' : principal.kind === 'service_key' ? 'service' : 'org'
}

/** Whether an operation declared for `audience` is open to this kind of caller. */
export function audienceAdmits(audience: Audience | 'any', principal: Principal): boolean {
  return audience === 'any' || audienceOf(principal) === audience
}

/** The 403 `wrong_key_type` message for a caller that `audienceAdmits` refuses. */
export function wrongKeyTypeMessage(audience: Audience | 'any', principal: Principal): string {
  if (audience === 'reseller') return 'This operation needs a reseller key'
  if (audience === 'service') return "This operation needs a service key (psk_…), the deployment's own"
  return principal.kind === 'service_key'
    ? 'Service keys may call only /platform operations, /health and /catalog'
    : 'Reseller keys cannot call organisation operations'
}

/** The organisation an org-side principal acts for, or null for reseller and service keys. */
export function ownOrgIdOf(principal: Principal): string | null {
  return principal.kind === 'org_key' || principal.kind === 'user' ? principal.orgId : null
}

/** The organisation an org-side principal acts for; reseller and service principals have none of their own. */
export function orgIdOf(principal: Principal): string {
  const orgId = ownOrgIdOf(principal)
  if (orgId === null) throw new Error(`a ${principal.kind} principal has no organisation`)
  return orgId
}

/** Audit-log actor fields: never a full key, only its id and display prefix. */
export function actorOf(principal: Principal): { actorType: string; actorId: string; actorLabel: string } {
  switch (principal.kind) {
    case 'org_key':
    case 'reseller_key':
    case 'service_key':
      return { actorType: principal.kind, actorId: principal.keyId, actorLabel: `${principal.keyName} (${principal.keyPrefix}…)` }
    case 'user':
      return { actorType: 'user', actorId: principal.userId, actorLabel: principal.email }
  }
}
