import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { generateKey, keyDigest } from '../keys/key-format.js'
import type { KeyWithOwner } from '../keys/key-store.js'
import { KeyCache } from './key-cache.js'

function row(orgId = randomUUID()): { key: KeyWithOwner; digest: string } {
  const minted = generateKey('ptk')
  const key: KeyWithOwner = {
    id: randomUUID(),
    owner_type: 'org',
    org_id: orgId,
    reseller_id: null,
    name: 'k',
    prefix: minted.displayPrefix,
    hash: minted.hash,
    scopes: '["read"]',
    rate_limits: null,
    created_at: new Date().toISOString(),
    created_by_type: 'operator',
    created_by_id: null,
    last_used_at: null,
    expires_at: null,
    revoked_at: null,
    rolled_from: null,
    meta: null,
    allowed_ips: null,
    owner_status: 'active',
    org_rate_limits: null,
    credits_version: null,
    credits_interval: null,
    org_external_id: null,
  }
  return { key, digest: keyDigest(minted.key) }
}

describe('a cache fill racing an invalidation', () => {
  it('refuses a row read before the key was invalidated, and caches one read after', () => {
    const cache = new KeyCache(30_000)
    const { key, digest } = row()
    const before = cache.beginFill()
    // The revocation commits and its invalidation arrives while the read is under way.
    cache.invalidateKey(key.id)
    expect(cache.fill(before, key)).toBe(false)
    expect(cache.get(digest)).toBeUndefined()
    const after = cache.beginFill()
    expect(cache.fill(after, key)).toBe(true)
    expect(cache.get(digest)).toBe(key)
  })

  it('refuses it when the owner was invalidated, or the whole cache cleared, meanwhile', () => {
    const cache = new KeyCache(30_000)
    const { key } = row()
    const t1 = cache.beginFill()
    cache.invalidateOwner(key.org_id!)
    expect(cache.fill(t1, key)).toBe(false)
    const t2 = cache.beginFill()
    cache.clear()
    expect(cache.fill(t2, key)).toBe(false)
  })

  it('is not disturbed by invalidations of other keys and owners', () => {
    const cache = new KeyCache(30_000)
    const { key } = row()
    const token = cache.beginFill()
    cache.invalidateKey(randomUUID())
    cache.invalidateOwner(randomUUID())
    expect(cache.fill(token, key)).toBe(true)
  })

  it('judges each of several overlapping fills by its own start', () => {
    const cache = new KeyCache(30_000)
    const a = row()
    const early = cache.beginFill()
    cache.invalidateKey(a.key.id)
    const late = cache.beginFill()
    expect(cache.fill(late, a.key)).toBe(true)
    expect(cache.fill(early, a.key)).toBe(false)
    // With no fill running, nothing is remembered: a later fill is judged afresh.
    expect(cache.fill(cache.beginFill(), a.key)).toBe(true)
  })

  it('caps entries to a short TTL while invalidations may be missed, those cached already included', () => {
    const cache = new KeyCache(30_000)
    const old = row()
    cache.set(old.key, 0)
    cache.capTtl(1000)
    cache.expireWithin(1000, 0)
    const fresh = row()
    cache.set(fresh.key, 0)
    expect(cache.get(old.digest, 999)).toBe(old.key)
    expect(cache.get(old.digest, 1000)).toBeUndefined()
    expect(cache.get(fresh.digest, 1000)).toBeUndefined()
    cache.capTtl(undefined)
    cache.set(fresh.key, 0)
    expect(cache.get(fresh.digest, 29_999)).toBe(fresh.key)
  })
})
