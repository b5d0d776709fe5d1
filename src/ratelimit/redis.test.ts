import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisPrefix, redisUrl } from '../../test/harness.js'
import { SLOTS } from './limiter.js'
import { RedisRateLimiter } from './redis.js'

describe.runIf(redisUrl)('Redis sliding window', () => {
  let redis: Redis
  let limiter: RedisRateLimiter
  const prefix = redisPrefix()
  beforeAll(() => {
    redis = new Redis(redisUrl!)
    limiter = new RedisRateLimiter(redis, prefix)
  })
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length) await redis.del(...keys)
    redis.disconnect()
  })

  it('holds a few fields per bucket whatever the limit, and expires with its window', async () => {
    const policy = { name: 'general', limit: 1_000_000, windowSeconds: 2 }
    let admitted = 0
    const started = Date.now()
    // Spread over more than a window, so slots are counted, dropped and the ring comes round.
    while (Date.now() - started < 2500) {
      const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter.consume([{ bucket: 'big', policy }])))
      admitted += decisions.filter(([d]) => d!.allowed).length
    }
    expect(admitted).toBeGreaterThan(1000)
    const key = `${prefix}rlw:big:2`
    // Slot counts (at most SLOTS + 1), the total and the oldest slot.
    expect(await redis.hlen(key)).toBeLessThanOrEqual(SLOTS + 3)
    const ttl = await redis.pttl(key)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(2000 + 2000 / SLOTS + 1)
    // The total is what the slots hold.
    const fields = await redis.hgetall(key)
    const slots = Object.entries(fields).filter(([name]) => /^\d+$/.test(name))
    expect(slots.reduce((sum, [, n]) => sum + Number(n), 0)).toBe(Number(fields.n))
  })

  it('refuses past the limit, names the wait, and admits once it has passed', async () => {
    const policy = { name: 'general', limit: 3, windowSeconds: 1 }
    for (let i = 0; i < 3; i++) expect((await limiter.consume([{ bucket: 'small', policy }]))[0]).toMatchObject({ allowed: true, remaining: 2 - i })
    const [refused] = await limiter.consume([{ bucket: 'small', policy }])
    expect(refused).toMatchObject({ allowed: false, remaining: 0 })
    expect(refused!.resetSeconds).toBeGreaterThanOrEqual(1)
    expect(refused!.resetSeconds).toBeLessThanOrEqual(2)
    await new Promise((r) => setTimeout(r, 1000 + 1000 / SLOTS + 20))
    expect((await limiter.consume([{ bucket: 'small', policy }]))[0]).toMatchObject({ allowed: true, remaining: 2 })
  })
})
