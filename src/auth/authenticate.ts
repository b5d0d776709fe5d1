import { ApiError } from '../core/errors.js'
import type { Principal } from '../core/principal.js'
import { checksumMatches, hashKey, parseKeyShape } from '../keys/key-format.js'
import { parseScopes, type KeyStore, type KeyWithOwner } from '../keys/key-store.js'
import type { KeyCache } from './key-cache.js'

export interface Authenticated {
  principal: Principal
  key: KeyWithOwner
}

/** Turns a presented key into a principal, or an ApiError from PRODUCT.md's authentication table. */
export class Authenticator {
  constructor(
    private readonly store: KeyStore,
    private readonly cache: KeyCache,
    private readonly prefixes: { org: string; reseller: string },
  ) {}

  async authenticate(presented: string | null, at = Date.now()): Promise<Authenticated> {
    if (presented === null || presented === '') throw new ApiError('missing_api_key', 'No API key was sent: use Authorization: Bearer <key>')
    // Shape is checked first; a cache hit is a key verified before, so it needs no checksum. A miss
    // checks the checksum offline, so typos and random guesses never reach the database.
    const parsed = parseKeyShape(presented)
    if (!parsed || (parsed.prefix !== this.prefixes.org && parsed.prefix !== this.prefixes.reseller)) {
      throw new ApiError('invalid_api_key', 'The API key is not valid')
    }
    const hash = hashKey(presented)
    let key = this.cache.get(hash, at)
    if (!key) {
      if (!checksumMatches(parsed)) throw new ApiError('invalid_api_key', 'The API key is not valid')
      key = await this.store.findByHash(hash)
      if (!key) throw new ApiError('invalid_api_key', 'The API key is not valid')
      this.cache.set(key, at)
    }
    const times = timesOf(key)
    if (times.revokedAt <= at) throw new ApiError('api_key_revoked', 'The API key has been revoked')
    if (times.expiresAt <= at) throw new ApiError('api_key_expired', 'The API key has expired')
    if (key.owner_status === 'suspended') {
      throw new ApiError('organization_suspended', key.owner_type === 'org' ? 'The organisation is suspended' : 'The reseller account is suspended')
    }
    return { principal: toPrincipal(key), key }
  }
}

const principals = new WeakMap<KeyWithOwner, Principal>()
const keyTimes = new WeakMap<KeyWithOwner, { revokedAt: number; expiresAt: number }>()

/** Revocation and expiry as epoch ms, parsed once per cached key. */
function timesOf(key: KeyWithOwner): { revokedAt: number; expiresAt: number } {
  let times = keyTimes.get(key)
  if (!times) {
    times = {
      revokedAt: key.revoked_at === null ? Infinity : Date.parse(key.revoked_at),
      expiresAt: key.expires_at === null ? Infinity : Date.parse(key.expires_at),
    }
    keyTimes.set(key, times)
  }
  return times
}

/** Principals are built once per cached key: a cache hit allocates nothing. */
function toPrincipal(key: KeyWithOwner): Principal {
  let principal = principals.get(key)
  if (!principal) {
    const common = { keyId: key.id, keyPrefix: key.prefix, keyName: key.name, scopes: parseScopes(key), keyExpiresAt: key.expires_at }
    principal =
      key.owner_type === 'org'
        ? { kind: 'org_key', orgId: key.org_id!, ...common }
        : { kind: 'reseller_key', resellerId: key.reseller_id!, ...common }
    principals.set(key, principal)
  }
  return principal
}
