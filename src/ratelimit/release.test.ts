import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisPrefix, redisUrl } from '../../test/harness.js'
import type { RateLimiter } from './limiter.js'
import { MemoryRateLimiter } from './memory.js'
import { RedisRateLimiter } from './redis.js'

const prefix = redisPrefix()
let redis: Redis | undefined
const limiters: { name: string; make: () => RateLimiter }[] = [
  { name: 'in process', make: () => new MemoryRateLimiter() },
  ...(redisUrl ? [{ name: 'Redis', make: () => new RedisRateLimiter((redis ??= new Redis(redisUrl!)), prefix) }] : []),
]

afterAll(async () => {
  if (!redis) return
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length) await redis.del(...keys)
  redis.disconnect()
})

describe.each(limiters)('taking a count back ($name)', ({ make }) => {
  let limiter: RateLimiter
  beforeAll(() => {
    limiter = make()
  })

  it('un-counts an admitted request in every bucket of it, so the room comes back', async () => {
    const key = { bucket: 'k1:general', policy: { name: 'general', limit: 2, windowSeconds: 60 } }
    const pool = { bucket: 'org:o1:general', policy: { name: 'org:general', limit: 3, windowSeconds: 60 } }
    const both = [key, pool]
    expect((await limiter.consume(both)).every((d) => d.allowed)).toBe(true)
    expect((await limiter.consume(both)).every((d) => d.allowed)).toBe(true)
    // The key's own limit is reached; taking the second back frees one in both buckets.
    expect((await limiter.consume(both))[0]!.allowed).toBe(false)
    await limiter.release(both)
    const again = await limiter.consume(both)
    expect(again.map((d) => d.allowed)).toEqual([true, true])
    expect(again.map((d) => d.remaining)).toEqual([0, 1])
  })

  it('is all-or-none across a key and its organisation pool: a request the pool refuses counts nowhere', async () => {
    const pool = { bucket: 'org:o2:general', policy: { name: 'org:general', limit: 2, windowSeconds: 60 } }
    const a = [{ bucket: 'a:general', policy: { name: 'general', limit: 10, windowSeconds: 60 } }, pool]
    const b = [{ bucket: 'b:general', policy: { name: 'general', limit: 10, windowSeconds: 60 } }, pool]
    expect((await limiter.consume(a)).every((d) => d.allowed)).toBe(true)
    expect((await limiter.consume(b)).every((d) => d.allowed)).toBe(true)
    const refused = await limiter.consume(a)
    expect(refused.map((d) => d.allowed)).toEqual([true, false])
    // Key a's own bucket did not count the refused request: 9 left after its one admitted request.
    expect(refused[0]!.remaining).toBe(9)
  })

  it('does nothing to an empty bucket', async () => {
    const lone = [{ bucket: 'empty:general', policy: { name: 'general', limit: 1, windowSeconds: 60 } }]
    await limiter.release(lone)
    expect((await limiter.consume(lone))[0]!.allowed).toBe(true)
    expect((await limiter.consume(lone))[0]!.allowed).toBe(false)
  })
})
