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
 */
export class KeyCache {
  readonly #byDigest = new Map<string, Entry>()
  readonly #digestById = new Map<string, string>()

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
    if (this.ttlMs <= 0) return
    if (this.#byDigest.size >= this.maxEntries) {
      const oldest = this.#byDigest.keys().next().value
      if (oldest !== undefined) this.#delete(oldest)
    }
    const digest = hashToDigest(key.hash)
    this.#byDigest.set(digest, { key, expiresAt: at + this.ttlMs })
    this.#digestById.set(key.id, digest)
  }

  invalidateKey(keyId: string): void {
    const digest = this.#digestById.get(keyId)
    if (digest) this.#delete(digest)
  }

  invalidateOwner(ownerId: string): void {
    for (const [digest, entry] of this.#byDigest) {
      if (entry.key.org_id === ownerId || entry.key.reseller_id === ownerId) this.#delete(digest)
    }
  }

  clear(): void {
    this.#byDigest.clear()
    this.#digestById.clear()
  }

  #delete(digest: string): void {
    const entry = this.#byDigest.get(digest)
    this.#byDigest.delete(digest)
    if (entry) this.#digestById.delete(entry.key.id)
  }
}
