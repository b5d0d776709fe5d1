import type { KeyWithOwner } from '../keys/key-store.js'

interface Entry {
  key: KeyWithOwner
  expiresAt: number
}

/**
 * Verified keys by hash. A hit costs a map look-up; revocation, roll, patch and suspension drop
 * entries by key id or organisation so the next request re-reads the database. The TTL bounds how
 * long another process's change can go unseen when no shared invalidation channel is configured.
 */
export class KeyCache {
  readonly #byHash = new Map<string, Entry>()
  readonly #hashById = new Map<string, string>()

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  get(hash: string, at = Date.now()): KeyWithOwner | undefined {
    const entry = this.#byHash.get(hash)
    if (!entry) return undefined
    if (entry.expiresAt <= at) {
      this.#delete(hash)
      return undefined
    }
    return entry.key
  }

  set(key: KeyWithOwner, at = Date.now()): void {
    if (this.ttlMs <= 0) return
    if (this.#byHash.size >= this.maxEntries) {
      const oldest = this.#byHash.keys().next().value
      if (oldest !== undefined) this.#delete(oldest)
    }
    this.#byHash.set(key.hash, { key, expiresAt: at + this.ttlMs })
    this.#hashById.set(key.id, key.hash)
  }

  invalidateKey(keyId: string): void {
    const hash = this.#hashById.get(keyId)
    if (hash) this.#delete(hash)
  }

  invalidateOwner(ownerId: string): void {
    for (const [hash, entry] of this.#byHash) {
      if (entry.key.org_id === ownerId || entry.key.reseller_id === ownerId) this.#delete(hash)
    }
  }

  clear(): void {
    this.#byHash.clear()
    this.#hashById.clear()
  }

  #delete(hash: string): void {
    const entry = this.#byHash.get(hash)
    this.#byHash.delete(hash)
    if (entry) this.#hashById.delete(entry.key.id)
  }
}
