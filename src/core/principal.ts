import type { Scope } from './scopes.js'

/** Who is calling. Keys and dashboard users reach the same handlers through this one shape. */
export type Principal = OrgKeyPrincipal | ResellerKeyPrincipal | UserPrincipal

export interface OrgKeyPrincipal {
  kind: 'org_key'
  orgId: string
  /** The organisation's external id, when its reseller gave it one. */
  orgExternalId?: string | null
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

export interface ResellerKeyPrincipal {
  kind: 'reseller_key'
  resellerId: string
  keyId: string
  keyPrefix: string
  keyName: string
  scopes: readonly Scope[]
  keyExpiresAt: string | null
  keyMeta?: Readonly<Record<string, unknown>>
  /** Whether the key has a credit balance (known from the cached key, so a key without one reads nothing to say so). */
  keyHasCredits?: boolean
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

export type Audience = 'org' | 'reseller'

export function audienceOf(principal: Principal): Audience {
  return principal.kind === 'reseller_key' ? 'reseller' : 'org'
}

/** The organisation an org-side principal acts for; reseller principals have none of their own. */
export function orgIdOf(principal: Principal): string {
  if (principal.kind === 'reseller_key') throw new Error('a reseller principal has no organisation')
  return principal.orgId
}

/** Audit-log actor fields: never a full key, only its id and display prefix. */
export function actorOf(principal: Principal): { actorType: string; actorId: string; actorLabel: string } {
  switch (principal.kind) {
    case 'org_key':
    case 'reseller_key':
      return { actorType: principal.kind, actorId: principal.keyId, actorLabel: `${principal.keyName} (${principal.keyPrefix}…)` }
    case 'user':
      return { actorType: 'user', actorId: principal.userId, actorLabel: principal.email }
  }
}
