import { ApiError } from '../core/errors.js'
import type { Principal } from '../core/principal.js'
import { checksumMatches, digestToHash, KEY_MAX_LENGTH, keyDigest, parseKeyShape } from '../keys/key-format.js'
import { parseRateLimits, parseScopes, type KeyStore, type KeyWithOwner, type RateLimitOverride } from '../keys/key-store.js'
import type { AdmissionPlan, Caller } from './caller.js'
import type { KeyPrefixes } from '../keys/key-service.js'
import type { ImportedPrefixes } from './imported-prefixes.js'
import { parseMeta } from '../keys/key-schema.js'
import { keyRulesOf, type KeyRules } from '../keys/key-rules.js'
import type { KeyCache } from './key-cache.js'

/** A key that authenticated: the caller the pipeline works with, and the row it came from. */
export interface Authenticated extends Caller {
  key: KeyWithOwner
}

/**
 * A cached key row with what a request needs from it, derived once: the principal, the rate-limit
 * overrides, and the revocation and expiry times as epoch ms. It is the `Authenticated` a cache hit
 * hands back, so a hit allocates nothing, parses no JSON and looks up one map.
 */
class VerifiedKey implements Authenticated {
  readonly principal: Principal
  readonly bucket: string
  readonly keyLimits: Record<string, RateLimitOverride>
  readonly orgLimits: Record<string, RateLimitOverride>
  readonly plans = new Map<string, AdmissionPlan>()
  readonly orgId: string | null
  readonly rules: KeyRules
  readonly revokedAt: number
  readonly expiresAt: number

  constructor(readonly key: KeyWithOwner) {
    this.principal = toPrincipal(key)
    this.bucket = key.id
    this.keyLimits = parseRateLimits(key.rate_limits)
    this.orgLimits = parseRateLimits(key.org_rate_limits)
    this.orgId = key.org_id
    this.rules = keyRulesOf(key)
    this.revokedAt = key.revoked_at === null ? Infinity : Date.parse(key.revoked_at)
    this.expiresAt = key.expires_at === null ? Infinity : Date.parse(key.expires_at)
  }
}

const verified = new WeakMap<KeyWithOwner, VerifiedKey>()

function verifiedOf(key: KeyWithOwner): VerifiedKey {
  let v = verified.get(key)
  if (!v) verified.set(key, (v = new VerifiedKey(key)))
  return v
}

/** Turns a presented key into a principal, or an ApiError from PRODUCT.md's authentication table. */
export class Authenticator {
  constructor(
    private readonly store: KeyStore,
    private readonly cache: KeyCache,
    prefixes: KeyPrefixes,
    /** Prefixes of imported keys: tokens starting with one are looked up although they lack Portico's format. */
    private readonly imported?: ImportedPrefixes,
  ) {
    this.#prefixes = new Set([prefixes.org, prefixes.reseller, prefixes.service])
  }

  readonly #prefixes: Set<string>

  /**
   * A key verified before (a cache hit) answers at once, without a promise, so the common request
   * pays for a hash and a map look-up only; a miss reads the database. Refusals are thrown, on a
   * hit synchronously, on a miss as a rejection.
   */
  authenticate(presented: string | null, at = Date.now()): Authenticated | Promise<Authenticated> {
    if (presented === null || presented === '') throw new ApiError('missing_api_key', 'No API key was sent: use Authorization: Bearer <key>')
    // A cache hit is a key verified before: only that exact string hashes to its entry, so a hit
    // needs no shape or checksum check. Anything longer than a key is refused before it is hashed.
    // A miss checks the shape and the checksum offline, so typos and random guesses never reach
    // the database, unless they start with the prefix of an imported key (which has neither).
    if (presented.length > KEY_MAX_LENGTH && !this.imported?.matches(presented)) throw new ApiError('invalid_api_key', 'The API key is not valid')
    const digest = keyDigest(presented)
    const key = this.cache.get(digest, at)
    if (key) return usable(verifiedOf(key), at)
    const parsed = parseKeyShape(presented)
    if (!parsed || !this.#prefixes.has(parsed.prefix) || !checksumMatches(parsed)) {
      if (!this.imported?.matches(presented)) throw new ApiError('invalid_api_key', 'The API key is not valid')
    }
    return this.#lookUp(digestToHash(digest), at)
  }

  /**
   * Reads the key and caches it, unless an invalidation concerning it arrived while the read was
   * under way: that read may predate the change, so it is read again (up to three times; a key
   * changed faster than that is answered from the last read, uncached).
   */
  async #lookUp(hash: string, at: number): Promise<Authenticated> {
    for (let attempt = 1; ; attempt++) {
      const token = this.cache.beginFill()
      let key: KeyWithOwner | undefined
      try {
        key = await this.store.findByHash(hash)
      } catch (error) {
        this.cache.endFill(token)
        throw error
      }
      if (!key) {
        this.cache.endFill(token)
        throw new ApiError('invalid_api_key', 'The API key is not valid')
      }
      if (this.cache.fill(token, key, at) || attempt === 3) return usable(verifiedOf(key), at)
    }
  }
}

/**
 * A key that exists but is refused (revoked, expired, suspended): the refusal a request answers,
 * holding the key so the verify API can still describe it.
 */
export class RefusedKey extends ApiError {
  constructor(
    code: 'api_key_revoked' | 'api_key_expired' | 'organization_suspended',
    message: string,
    readonly refused: Authenticated,
  ) {
    super(code, message)
  }
}

/** Revoked, expired and suspended keys are refused, in that order. */
function usable(v: VerifiedKey, at: number): VerifiedKey {
  if (v.revokedAt <= at) throw new RefusedKey('api_key_revoked', 'The API key has been revoked', v)
  if (v.expiresAt <= at) throw new RefusedKey('api_key_expired', 'The API key has expired', v)
  if (v.key.owner_status === 'suspended') {
    throw new RefusedKey('organization_suspended', v.key.owner_type === 'org' ? 'The organisation is suspended' : 'The reseller account is suspended', v)
  }
  return v
}

function toPrincipal(key: KeyWithOwner): Principal {
  const common = { keyId: key.id, keyPrefix: key.prefix, keyName: key.name, scopes: parseScopes(key), keyExpiresAt: key.expires_at, keyMeta: parseMeta(key.meta), keyHasCredits: key.credits_version !== null }
  switch (key.owner_type) {
    case 'org':
      return { kind: 'org_key', orgId: key.org_id!, orgExternalId: key.org_external_id ?? null, ...common }
    case 'reseller':
      return { kind: 'reseller_key', resellerId: key.reseller_id!, ...common }
    case 'service':
      return { kind: 'service_key', ...common }
  }
}
