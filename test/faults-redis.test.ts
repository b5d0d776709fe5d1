import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployment, engines, redisPrefix, type Deployment, type Engine, type TestServer } from './harness.js'
import { startPrivateRedis, type PrivateRedis } from './redis-server.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One request, timed. */
async function timed(url: string, key: string, p = '/health'): Promise<{ status: number; ms: number; body: any }> {
  const started = performance.now()
  const res = await fetch(`${url}/api/v1${p}`, { headers: { authorization: `Bearer ${key}` } })
  const body = await res.json()
  return { status: res.status, ms: performance.now() - started, body }
}

/** `workers` loops of requests for `ms`; every answer's status and how long it took. */
async function loadFor(url: string, key: string, ms: number, workers = 4): Promise<{ statuses: number[]; slowest: number }> {
  const statuses: number[] = []
  let slowest = 0
  const until = Date.now() + ms
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < until) {
        const r = await timed(url, key)
        statuses.push(r.status)
        slowest = Math.max(slowest, r.ms)
      }
    }),
  )
  return { statuses, slowest }
}

async function readiness(url: string): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const res = await fetch(`${url}/readyz`)
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } }
}

/** Two instances on one database and a private Redis, for the enclosing describe block. */
function twoInstancesOnPrivateRedis(engine: Engine, extra: Record<string, string> = {}): { redis: PrivateRedis; a: TestServer; b: TestServer } {
  const ctx = {} as { redis: PrivateRedis; a: TestServer; b: TestServer; deployed: Deployment }
  beforeAll(async () => {
    ctx.redis = await startPrivateRedis()
    ctx.deployed = await deployment(engine)
    const env = { REDIS_URL: ctx.redis.url, PORTICO_REDIS_PREFIX: redisPrefix(), ...extra }
    ctx.a = await ctx.deployed.instance({ env })
    ctx.b = await ctx.deployed.instance({ env })
  })
  afterAll(async () => {
    ctx.redis?.thaw()
    await ctx.deployed?.close()
    await ctx.redis?.stop()
  })
  return ctx
}

// The database is PostgreSQL when there is one, so its LISTEN/NOTIFY can stand in for Redis.
const engine: Engine = engines.includes('postgres') ? 'postgres' : 'sqlite'

describe(`Redis faults, fail-open (${engine})`, () => {
  // A limit the load never reaches: these tests are about waiting, not refusing.
  const ctx = twoInstancesOnPrivateRedis(engine, { PORTICO_RATE_LIMITS: 'general=1000000/60' })
  let redis: PrivateRedis, a: TestServer, b: TestServer, key: string
  beforeAll(async () => {
    ;({ redis, a, b } = ctx)
    key = (await a.createOrg()).key
  })

  it('Redis stopped: requests keep being served without waiting, and the instance stays ready with Redis degraded', async () => {
    expect((await timed(a.url, key)).status).toBe(200)
    await redis.kill()
    const { statuses, slowest } = await loadFor(a.url, key, 1500)
    expect(new Set(statuses)).toEqual(new Set([200]))
    expect(slowest).toBeLessThan(1500)
    expect(await readiness(a.url)).toEqual({ status: 200, body: { status: 'ready', checks: { database: 'ok', redis: 'degraded' } } })
    await redis.restart()
    const back = Date.now()
    while ((await readiness(a.url)).body.checks.redis !== 'ok' && Date.now() - back < 10_000) await sleep(100)
    expect((await readiness(a.url)).body.checks.redis).toBe('ok')
  })

  it('Redis frozen (SIGSTOP): no request waits more than 1.5 s, and the instance stays ready', async () => {
    expect((await timed(a.url, key)).status).toBe(200)
    redis.freeze()
    try {
      const { statuses, slowest } = await loadFor(a.url, key, 3000)
      expect(new Set(statuses)).toEqual(new Set([200]))
      expect(slowest).toBeLessThan(1500)
      const ready = await readiness(a.url)
      expect(ready.status).toBe(200)
      expect(ready.body.checks.redis).toBe('degraded')
    } finally {
      redis.thaw()
    }
  })

  it.runIf(engine === 'postgres')('a revocation while Redis is frozen reaches the other instance within 1 s, over LISTEN/NOTIFY', async () => {
    const minted = await a.api('POST', '/keys', { key, body: { name: 'revoked while Redis sleeps' } })
    expect(minted.status).toBe(201)
    expect((await timed(a.url, minted.body.key)).status).toBe(200)
    expect((await timed(b.url, minted.body.key)).status).toBe(200)
    redis.freeze()
    try {
      // Both limiters notice the silent Redis first, so the revocation's own wait is not counted.
      await Promise.all([timed(a.url, key), timed(b.url, key)])
      expect((await a.api('DELETE', `/keys/${minted.body.id}`, { key })).status).toBe(200)
      const acknowledged = Date.now()
      let refused: { status: number; body: any } | undefined
      while (Date.now() - acknowledged < 3000) {
        const r = await timed(b.url, minted.body.key)
        if (r.status !== 200) {
          refused = r
          break
        }
        await sleep(20)
      }
      const delay = Date.now() - acknowledged
      expect(refused?.status).toBe(403)
      expect(refused?.body.error.code).toBe('api_key_revoked')
      expect(delay).toBeLessThan(1000)
    } finally {
      redis.thaw()
    }
  })
})

describe('Redis down with no other channel (two instances on one SQLite file)', () => {
  const ctx = twoInstancesOnPrivateRedis('sqlite')

  it('keys are cached for 1 s at most meanwhile, so a revocation on one instance is enforced by the other within about a second', async () => {
    const { redis, a, b } = ctx
    const { key: admin } = await a.createOrg()
    const minted = await a.api('POST', '/keys', { key: admin, body: { name: 'revoked while nothing carries it' } })
    expect((await timed(b.url, minted.body.key)).status).toBe(200)
    await redis.kill()
    expect((await a.api('DELETE', `/keys/${minted.body.id}`, { key: admin })).status).toBe(200)
    const acknowledged = Date.now()
    let status = 200
    while (status === 200 && Date.now() - acknowledged < 5000) {
      await sleep(50)
      status = (await timed(b.url, minted.body.key)).status
    }
    expect(status).toBe(403)
    // The 30 s TTL would have kept it; the 1 s one (from when the channel was lost) did not.
    expect(Date.now() - acknowledged).toBeLessThan(1500)
  })
})
