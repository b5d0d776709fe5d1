import { hashToDigest } from '../keys/key-format.js'
import type { KeyWithOwner } from '../keys/key-store.js'

interface Entry {
  key: KeyWithOwner
  expiresAt: number
}

/**
 * Verified keys by their SHA-256 digest (`keyDigest`, the raw form of the stored hash). A hit
 * costs a map look-up; revocation, roll, patch and suspension drop entries by key id or
 * organisation so the next request re-reads the database. The TTL bounds how
 * long another process's change can go unseen when no shared invalidation channel is configured.
 *
 * A read from the database can race an invalidation: the row is read, the change commits and its
 * invalidation arrives, then the (stale) row comes back. So every invalidation bumps a
 * generation and remembers it for the key id or owner it names; a fill carries the generation it
 * started at (`beginFill`) and is refused (`fill` returns false: read again) when the key, its
 * owner or the whole cache was invalidated since.
 */
export class KeyCache {
  readonly #byDigest = new Map<string, Entry>()
  readonly #digestById = new Map<string, string>()
  #generation = 0
  /** Key id or owner id → the generation of its latest invalidation, while any fill could care. */
  readonly #invalidatedAt = new Map<string, number>()
  #clearedAt = 0
  /** Generation → fills begun at it and not yet ended; in increasing order (see #endFill). */
  readonly #fills = new Map<number, number>()
  /** While set, entries are cached for at most this long: no channel carries invalidations. */
  #ttlCapMs: number | undefined

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  get(digest: string, at = Date.now()): KeyWithOwner | undefined {
    const entry = this.#byDigest.get(digest)
    if (!entry) return undefined
    if (entry.expiresAt <= at) {
      this.#delete(digest)
      return undefined
    }
    return entry.key
  }

  set(key: KeyWithOwner, at = Date.now()): void {
    const ttl = this.#ttlCapMs === undefined ? this.ttlMs : Math.min(this.ttlMs, this.#ttlCapMs)
    if (ttl <= 0) return
    if (this.#byDigest.size >= this.maxEntries) {
      const oldest = this.#byDigest.keys().next().value
      if (oldest !== undefined) this.#delete(oldest)
    }
    const digest = hashToDigest(key.hash)
    this.#byDigest.set(digest, { key, expiresAt: at + ttl })
    this.#digestById.set(key.id, digest)
  }

  /** Before reading a key from the database: the token to hand to `fill` or `endFill`. */
  beginFill(): number {
    const g = this.#generation
    this.#fills.set(g, (this.#fills.get(g) ?? 0) + 1)
    return g
  }

  /**
   * Caches `key`, read since `token`, unless an invalidation concerning it arrived meanwhile:
   * then it returns false, and the row may predate the change (read it again).
   */
  fill(token: number, key: KeyWithOwner, at = Date.now()): boolean {
    const stale =
      this.#clearedAt > token ||
      (this.#invalidatedAt.get(key.id) ?? 0) > token ||
      (key.org_id !== null && (this.#invalidatedAt.get(key.org_id) ?? 0) > token) ||
      (key.reseller_id !== null && (this.#invalidatedAt.get(key.reseller_id) ?? 0) > token)
    this.endFill(token)
    if (stale) return false
    this.set(key, at)
    return true
  }

  /** A fill that caches nothing (no such key, or the read failed). */
  endFill(token: number): void {
    const n = this.#fills.get(token)
    if (n === undefined) return
    if (n > 1) this.#fills.set(token, n - 1)
    else {
      this.#fills.delete(token)
      // Tokens are taken in increasing order and a generation is only ever re-added while it is
      // the newest, so the map's first key is the oldest fill still running.
      if (this.#fills.size === 0) this.#invalidatedAt.clear()
    }
  }

  invalidateKey(keyId: string): void {
    this.#mark(keyId)
    const digest = this.#digestById.get(keyId)
    if (digest) this.#delete(digest)
  }

  invalidateOwner(ownerId: string): void {
    this.#mark(ownerId)
    for (const [digest, entry] of this.#byDigest) {
      if (entry.key.org_id === ownerId || entry.key.reseller_id === ownerId) this.#delete(digest)
    }
  }

  clear(): void {
    this.#clearedAt = ++this.#generation
    this.#byDigest.clear()
    this.#digestById.clear()
  }

  /** While invalidations may be missed (every channel down), new entries are cached for at most `ms`; `undefined` lifts the cap. */
  capTtl(ms: number | undefined): void {
    this.#ttlCapMs = ms
  }

  /** Entries already cached expire within `ms` at the latest. */
  expireWithin(ms: number, at = Date.now()): void {
    for (const entry of this.#byDigest.values()) entry.expiresAt = Math.min(entry.expiresAt, at + ms)
  }

  #mark(id: string): void {
    const g = ++this.#generation
    // Only fills running now can be refused by it; with none, nothing needs remembering.
    if (this.#fills.size === 0) return
    this.#invalidatedAt.set(id, g)
    if (this.#invalidatedAt.size > 10_000) {
      const oldest = this.#fills.keys().next().value!
      for (const [k, at] of this.#invalidatedAt) if (at <= oldest) this.#invalidatedAt.delete(k)
    }
  }

  #delete(digest: string): void {
    const entry = this.#byDigest.get(digest)
    this.#byDigest.delete(digest)
    if (entry) this.#digestById.delete(entry.key.id)
  }
}
