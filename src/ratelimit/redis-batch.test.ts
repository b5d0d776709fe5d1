import { Redis } from 'ioredis'
import { pino } from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startPrivateRedis, type PrivateRedis } from '../../test/redis-server.js'
import { ApiError } from '../core/errors.js'
import type { RateLimitDecision, RateLimitPolicy, RateLimitRequest } from './limiter.js'
import { MemoryRateLimiter } from './memory.js'
import { BATCH_LIMIT, RedisRateLimiter } from './redis.js'
import { ResilientRateLimiter } from './resilient.js'

/**
 * The Redis limiter's batches on a Redis of their own, so its command counts are this file's alone:
 * the admissions of one event-loop turn go as one script call and are decided as if one by one.
 */
describe('Redis limiter: one script call per event-loop turn', () => {
  let server: PrivateRedis
  let redis: Redis
  let admin: Redis
  let limiter: RedisRateLimiter
  let n = 0
  /** A fresh bucket name per use, so the cases do not share counts. */
  const bucket = (name: string) => `${name}:${++n}`
  const policy = (name: string, limit: number, windowSeconds = 60): RateLimitPolicy => ({ name, limit, windowSeconds })

  /** Script calls (EVAL or EVALSHA) Redis has run since the last reset. */
  async function scriptCalls(): Promise<number> {
    const stats = await admin.info('commandstats')
    let calls = 0
    for (const m of stats.matchAll(/^cmdstat_(eval|evalsha):calls=(\d+)/gm)) calls += Number(m[2])
    return calls
  }

  /** The same lists decided by the in-process limiter one by one and by this one in one turn, with the same decisions. */
  async function decideBoth(lists: RateLimitRequest[][]): Promise<{ want: RateLimitDecision[][]; got: RateLimitDecision[][] }> {
    const memory = new MemoryRateLimiter()
    const at = Date.now()
    const want = lists.map((requests) => memory.consume(requests, at))
    const got = await Promise.all(lists.map((requests) => limiter.consume(requests)))
    const shape = (ds: RateLimitDecision[]) => ds.map((d) => [d.policy.name, d.allowed, d.remaining])
    expect(got.map(shape)).toEqual(want.map(shape))
    return { want, got }
  }

  beforeAll(async () => {
    server = await startPrivateRedis()
    redis = new Redis(server.url)
    admin = new Redis(server.url)
    limiter = new RedisRateLimiter(redis, 'batch:')
    // The first call on a connection loads the script (EVAL); later ones name it (EVALSHA).
    await limiter.consume([{ bucket: 'warm', policy: policy('general', 10) }])
  })
  beforeEach(async () => {
    await admin.config('RESETSTAT')
  })
  afterAll(async () => {
    redis?.disconnect()
    admin?.disconnect()
    await server?.stop()
  })

  it('answers the admissions of one turn with one round trip, and a turn past the cap with one per BATCH_LIMIT', async () => {
    const general = policy('general', 1_000_000)
    const one = bucket('one')
    const decided = await Promise.all(Array.from({ length: 100 }, () => limiter.consume([{ bucket: one, policy: general }])))
    expect(decided.every(([d]) => d!.allowed)).toBe(true)
    expect(await scriptCalls()).toBe(1)
    expect((await admin.info('commandstats')).match(/^cmdstat_evalsha:calls=(\d+)/m)?.[1]).toBe('1')

    await admin.config('RESETSTAT')
    const many = bucket('many')
    await Promise.all(Array.from({ length: 2 * BATCH_LIMIT + 10 }, () => limiter.consume([{ bucket: many, policy: general }])))
    expect(await scriptCalls()).toBe(3)
    // Every request was counted once.
    expect(await redis.hget(`batch:rlw:${many}:60`, 'n')).toBe(String(2 * BATCH_LIMIT + 10))
  })

  it('admits exactly the limit of many concurrent requests, across batches and across two limiters on their own connections', async () => {
    const limit = 137
    const shared = bucket('exact')
    const p = policy('general', limit)
    const decided = await Promise.all(Array.from({ length: 500 }, () => limiter.consume([{ bucket: shared, policy: p }])))
    const admitted = decided.filter(([d]) => d!.allowed)
    expect(admitted).toHaveLength(limit)
    // Each admitted request saw the count it left: every value from limit - 1 down to 0, once.
    expect(admitted.map(([d]) => d!.remaining).sort((a, b) => b - a)).toEqual(Array.from({ length: limit }, (_, i) => limit - 1 - i))
    expect(decided.filter(([d]) => !d!.allowed).every(([d]) => d!.remaining === 0 && d!.resetSeconds >= 1 && d!.resetSeconds <= 62)).toBe(true)

    const other = new Redis(server.url)
    try {
      const second = new RedisRateLimiter(other, 'batch:')
      const pool = bucket('two')
      const q = policy('general', 300)
      const both = await Promise.all(
        Array.from({ length: 400 }, (_, i) => (i % 2 ? limiter : second).consume([{ bucket: pool, policy: q }])),
      )
      expect(both.filter(([d]) => d!.allowed)).toHaveLength(300)
    } finally {
      other.disconnect()
    }
  })

  it('counts a request in all its classes or in none, when one class runs out in the middle of a batch', async () => {
    const key = bucket('key')
    const general = { bucket: `${key}:general`, policy: policy('general', 100) }
    const send = { bucket: `${key}:send`, policy: policy('send', 5) }
    const pool = { bucket: `org:${key}:general`, policy: policy('org:general', 30) }
    // Sends (general + send + pool) and reads (general + pool) interleaved, in one turn.
    const sends = [general, send, pool]
    const reads = [general, pool]
    const lists = Array.from({ length: 40 }, (_, i) => (i % 2 ? sends : reads))
    const decided = await Promise.all(lists.map((requests) => limiter.consume(requests)))
    const counted = decided.filter((ds) => ds.every((d) => d.allowed))
    // 5 sends fit their class; the pool (30) then takes every read (20) and those 5 sends: 25 counted.
    expect(counted).toHaveLength(25)
    const refusedSends = decided.filter((ds, i) => lists[i] === sends && !ds.every((d) => d.allowed))
    expect(refusedSends).toHaveLength(15)
    // Only the exhausted class is blamed; the others had room and did not count the request.
    for (const ds of refusedSends) expect(ds.map((d) => d.allowed)).toEqual([true, false, true])
    const hash = (b: string) => redis.hget(`batch:rlw:${b}:60`, 'n')
    expect([await hash(general.bucket), await hash(send.bucket), await hash(pool.bucket)]).toEqual(['25', '5', '25'])

    // The pool runs out mid-batch next: 5 more reads fit, the rest count nowhere, not even in general.
    const more = await Promise.all(Array.from({ length: 12 }, () => limiter.consume(reads)))
    expect(more.filter((ds) => ds.every((d) => d.allowed))).toHaveLength(5)
    for (const ds of more.filter((ds) => !ds.every((d) => d.allowed))) expect(ds.map((d) => d.allowed)).toEqual([true, false])
    expect([await hash(general.bucket), await hash(pool.bucket)]).toEqual(['30', '30'])
  })

  it('decides a batch as the in-process limiter decides the same requests one by one', async () => {
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const buckets: RateLimitRequest[] = Array.from({ length: 6 }, (_, i) => ({ bucket: bucket('mix'), policy: policy(`c${i}`, 3 + Math.floor(random() * 40)) }))
    const lists = Array.from({ length: 300 }, () => {
      const picked = buckets.filter(() => random() < 0.4)
      return picked.length ? picked : [buckets[Math.floor(random() * buckets.length)]!]
    })
    await decideBoth(lists)
    expect(await scriptCalls()).toBe(Math.ceil(lists.length / BATCH_LIMIT))
  })

  it('decides runs of one key\'s requests (the same list, or equal ones) as one by one, through a limit reached mid-run', async () => {
    const key = bucket('run')
    const general = { bucket: `${key}:general`, policy: policy('general', 23) }
    const send = { bucket: `${key}:send`, policy: policy('send', 9) }
    const pool = { bucket: `org:${key}:general`, policy: policy('org:general', 40) }
    const other = bucket('other')
    const reads = [general, pool]
    const sends = [general, send, pool]
    const elsewhere = [{ bucket: `${other}:general`, policy: policy('general', 4) }, pool]
    // Runs of 1 to 12 of the same list object, of equal copies, and interleaved with other keys.
    const lists: RateLimitRequest[][] = []
    const pattern: [RateLimitRequest[], number, boolean][] = [[reads, 5, false], [sends, 7, true], [elsewhere, 6, false], [reads, 12, true], [sends, 3, false], [reads, 1, false], [elsewhere, 2, true], [sends, 9, false], [reads, 8, true]]
    for (const [list, count, copies] of pattern) for (let i = 0; i < count; i++) lists.push(copies ? list.map((r) => ({ ...r })) : list)
    const { want, got } = await decideBoth(lists)
    // Refused and admitted alike wait what the in-process limiter says, to the second.
    for (let i = 0; i < lists.length; i++) {
      for (let j = 0; j < want[i]!.length; j++) expect(Math.abs(got[i]![j]!.resetSeconds - want[i]![j]!.resetSeconds)).toBeLessThanOrEqual(1)
    }
    expect(got.some((ds) => !ds.every((d) => d.allowed))).toBe(true)
    expect(await scriptCalls()).toBe(1)
    const hash = (b: string) => redis.hget(`batch:rlw:${b}:60`, 'n')
    const counted = (b: string) => want.filter((ds, i) => ds.every((d) => d.allowed) && lists[i]!.some((r) => r.bucket === b)).length
    expect(await hash(general.bucket)).toBe(String(counted(general.bucket)))
    expect(await hash(pool.bucket)).toBe(String(counted(pool.bucket)))
  })

  it('reloads the script when Redis has forgotten it (NOSCRIPT), for the whole batch', async () => {
    await admin.script('FLUSH')
    const b = bucket('flushed')
    const decided = await Promise.all(Array.from({ length: 20 }, () => limiter.consume([{ bucket: b, policy: policy('general', 8) }])))
    expect(decided.filter(([d]) => d!.allowed)).toHaveLength(8)
    // The refused EVALSHA, then the script itself (EVAL) once for the whole batch; then EVALSHA again.
    const stats = await admin.info('commandstats')
    expect(stats).toMatch(/^cmdstat_evalsha:calls=1,.*failed_calls=1/m)
    expect(stats).toMatch(/^cmdstat_eval:calls=1,/m)
    await admin.config('RESETSTAT')
    await Promise.all(Array.from({ length: 5 }, () => limiter.consume([{ bucket: b, policy: policy('general', 8) }])))
    expect(await admin.info('commandstats')).toMatch(/^cmdstat_evalsha:calls=1,.*failed_calls=0/m)
  })

  describe('a call that fails', () => {
    /** A batch with a key Redis cannot read as a bucket (a string), so the whole script call fails. */
    async function poisonedBatch(consume: (requests: RateLimitRequest[]) => Promise<RateLimitDecision[]>) {
      const bad = bucket('bad')
      const good = bucket('good')
      await redis.set(`batch:rlw:${bad}:60`, 'not a bucket')
      const p = policy('general', 1000)
      const lists = Array.from({ length: 30 }, (_, i) => (i === 17 ? [{ bucket: bad, policy: p }] : [{ bucket: good, policy: p }]))
      const settled = await Promise.allSettled(lists.map(consume))
      return { settled, good }
    }

    it('fails every request in it with the error, and counts none of them', async () => {
      const { settled, good } = await poisonedBatch((r) => limiter.consume(r))
      expect(settled.every((s) => s.status === 'rejected' && /WRONGTYPE/.test(String(s.reason)))).toBe(true)
      expect(await redis.exists(`batch:rlw:${good}:60`)).toBe(0)
      expect(await scriptCalls()).toBe(1)
    })

    it('falls back to in-process counting for every request in it (fail-open), or refuses each with 503 (fail-closed)', async () => {
      const log = pino({ level: 'silent' })
      const open = new ResilientRateLimiter(limiter, new MemoryRateLimiter(), true, log)
      const fellBack = await poisonedBatch(async (r) => open.consume(r))
      expect(fellBack.settled.every((s) => s.status === 'fulfilled' && s.value[0]!.allowed)).toBe(true)
      expect(open.degraded).toBe(true)

      const closed = new ResilientRateLimiter(limiter, new MemoryRateLimiter(), false, log)
      const refused = await poisonedBatch(async (r) => closed.consume(r))
      expect(refused.settled.every((s) => s.status === 'rejected' && s.reason instanceof ApiError && s.reason.code === 'service_unavailable')).toBe(true)
    })
  })
})
