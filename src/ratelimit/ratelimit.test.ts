import net from 'node:net'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../core/config.js'
import { defineModule, defineOperation, z } from '../index.js'
import { engines, redisPrefix, redisUrl, startServer, type TestServer } from '../../test/harness.js'

const sendLike = defineOperation({
  id: 'test.send',
  method: 'post',
  path: '/test/send',
  summary: 'An operation in the send class',
  scope: 'actions',
  limit: 'send',
  idempotent: false,
  output: z.object({ sent: z.boolean() }),
  handler: async () => ({ sent: true }),
})
const testModule = defineModule({ name: 'test', operations: [sendLike] })

const parse = (header: string | null) =>
  Object.fromEntries(
    (header ?? '').split(', ').map((item) => {
      const [name, ...params] = item.split(';')
      return [JSON.parse(name!), Object.fromEntries(params.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]))]
    }),
  ) as Record<string, Record<string, number>>

async function limitKey(server: TestServer, adminKey: string, rateLimits: Record<string, unknown>, scopes = ['read', 'actions']) {
  const minted = await server.api('POST', '/keys', { key: adminKey, body: { name: 'limited', scopes } })
  const patched = await server.api('PATCH', `/keys/${minted.body.id}`, { key: adminKey, body: { rate_limits: rateLimits } })
  expect(patched.status).toBe(200)
  return { id: minted.body.id as string, key: minted.body.key as string, view: patched.body }
}

// Every behaviour on each database with the in-process limiter, and on Redis when it is configured
// (fail-closed there, so a silent fallback to in-process counting cannot pass for Redis).
const setups = [...engines.map((engine) => ({ engine, redis: false })), ...(redisUrl ? [{ engine: 'sqlite' as const, redis: true }] : [])]

describe.each(setups)('rate limits ($engine, Redis: $redis)', ({ engine, redis }) => {
  let server: TestServer
  let admin: string
  beforeAll(async () => {
    const env: Record<string, string> = redis ? { REDIS_URL: redisUrl!, PORTICO_REDIS_PREFIX: redisPrefix(), PORTICO_RATE_LIMIT_FAIL_OPEN: '0' } : {}
    server = await startServer({ engine, modules: [testModule], env })
    admin = (await server.createOrg()).key
  })
  afterAll(() => server.close())

  it('the 301st request in a minute is 429 with a Retry-After correct to the second', async () => {
    const { key } = (await server.api('POST', '/keys', { key: admin, body: { name: 'default limits' } })).body
    const first = Date.now()
    const statuses: number[] = []
    for (let batch = 0; batch < 15; batch++) {
      const results = await Promise.all(Array.from({ length: 20 }, () => server.api('GET', '/health', { key })))
      statuses.push(...results.map((r) => r.status))
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(300)
    const refused = await server.api('GET', '/health', { key })
    expect(refused.status).toBe(429)
    expect(refused.body.error.code).toBe('rate_limited')
    const retryAfter = Number(refused.headers.get('retry-after'))
    expect(refused.body.error.retry_after).toBe(retryAfter)
    // The first request's slot (a second) leaves the window between 60 and 61 s after it was
    // counted, and Retry-After rounds that up to whole seconds: it lies in [expected, expected + 2).
    const expected = 60 - (Date.now() - first) / 1000
    expect(retryAfter).toBeGreaterThanOrEqual(Math.floor(expected))
    expect(retryAfter).toBeLessThan(expected + 2.1)
    expect(parse(refused.headers.get('ratelimit')).general).toMatchObject({ r: 0 })
    expect(refused.headers.get('ratelimit-policy')).toBe('"general";q=300;w=60')
  })

  it('admits again once Retry-After has passed', async () => {
    const { key } = await limitKey(server, admin, { general: { limit: 3, window_seconds: 2 } })
    for (let i = 0; i < 3; i++) {
      const ok = await server.api('GET', '/health', { key })
      expect(ok.status).toBe(200)
      expect(parse(ok.headers.get('ratelimit')).general!.r).toBe(2 - i)
    }
    const refused = await server.api('GET', '/health', { key })
    expect(refused.status).toBe(429)
    const wait = Number(refused.headers.get('retry-after'))
    expect(wait).toBeGreaterThanOrEqual(1)
    // The window, plus at most one slot (a sixtieth of it), rounded up to whole seconds.
    expect(wait).toBeLessThanOrEqual(3)
    await new Promise((r) => setTimeout(r, wait * 1000 + 50))
    expect((await server.api('GET', '/health', { key })).status).toBe(200)
  })

  it('the send class runs out on its own while general requests pass, and a refused send spends nothing', async () => {
    const { key } = await limitKey(server, admin, { send: { limit: 2, window_seconds: 60 } })
    for (let i = 0; i < 2; i++) {
      const sent = await server.api('POST', '/test/send', { key })
      expect(sent.status).toBe(201)
      expect(sent.headers.get('ratelimit-policy')).toBe('"general";q=300;w=60, "send";q=2;w=60')
    }
    const before = parse((await server.api('GET', '/health', { key })).headers.get('ratelimit')).general!.r!
    const refused = await server.api('POST', '/test/send', { key })
    expect(refused.status).toBe(429)
    expect(parse(refused.headers.get('ratelimit')).send).toMatchObject({ r: 0 })
    const after = await server.api('GET', '/health', { key })
    expect(after.status).toBe(200)
    expect(parse(after.headers.get('ratelimit')).general!.r).toBe(before - 1)
  })

  it('a 429 names and times only the class that ran out', async () => {
    const { key } = await limitKey(server, admin, { send: { limit: 1, window_seconds: 3 } })
    expect((await server.api('POST', '/test/send', { key })).status).toBe(201)
    const refused = await server.api('POST', '/test/send', { key })
    expect(refused.status).toBe(429)
    expect(refused.body.error.message).toContain('"send"')
    // general still has room, and its oldest request leaves in about 60 s: it must not set the wait.
    const wait = Number(refused.headers.get('retry-after'))
    expect(wait).toBeGreaterThanOrEqual(1)
    expect(wait).toBeLessThanOrEqual(4)
    expect(parse(refused.headers.get('ratelimit')).general).toMatchObject({ r: 299 })
    await new Promise((r) => setTimeout(r, wait * 1000 + 50))
    expect((await server.api('POST', '/test/send', { key })).status).toBe(201)
  })

  it('per-key overrides are shown on the key and refuse unknown classes', async () => {
    const { id, view } = await limitKey(server, admin, { general: { limit: 50, window_seconds: 10 } })
    expect(view.rate_limits).toEqual({ general: { limit: 50, window_seconds: 10 } })
    expect((await server.api('GET', `/keys/${id}`, { key: admin })).body.rate_limits.general.limit).toBe(50)
    const bad = await server.api('PATCH', `/keys/${id}`, { key: admin, body: { rate_limits: { bogus: { limit: 1, window_seconds: 1 } } } })
    expect(bad.status).toBe(400)
    expect(bad.body.error.fields).toHaveProperty(['rate_limits.bogus'])
    const cleared = await server.api('PATCH', `/keys/${id}`, { key: admin, body: { rate_limits: { general: null } } })
    expect(cleared.body.rate_limits).toEqual({})
  })

  it('an override takes effect at once on a key already in use', async () => {
    const { id, key } = (await server.api('POST', '/keys', { key: admin, body: { name: 'in use' } })).body
    expect((await server.api('GET', '/health', { key })).headers.get('ratelimit-policy')).toBe('"general";q=300;w=60')
    await server.api('PATCH', `/keys/${id}`, { key: admin, body: { rate_limits: { general: { limit: 2, window_seconds: 60 } } } })
    const next = await server.api('GET', '/health', { key })
    expect(next.headers.get('ratelimit-policy')).toBe('"general";q=2;w=60')
    // The request before the override counts towards it: this is the second of two.
    expect(parse(next.headers.get('ratelimit')).general!.r).toBe(0)
    expect((await server.api('GET', '/health', { key })).status).toBe(429)
  })

  it('an organisation override applies to all its keys', async () => {
    const org = await server.createOrg('Tight org')
    await server.portico.database.db
      .updateTable('organizations')
      .set({ rate_limits: JSON.stringify({ general: { limit: 2, window_seconds: 60 } }) })
      .where('id', '=', org.orgId)
      .execute()
    expect((await server.api('GET', '/health', { key: org.key })).headers.get('ratelimit-policy')).toBe('"general";q=2;w=60')
    expect((await server.api('GET', '/health', { key: org.key })).status).toBe(200)
    expect((await server.api('GET', '/health', { key: org.key })).status).toBe(429)
  })

  it('requests refused for authentication or scope do not spend the key quota', async () => {
    const { key } = await limitKey(server, admin, { general: { limit: 3, window_seconds: 60 } }, ['read'])
    for (let i = 0; i < 10; i++) expect((await server.api('GET', '/keys', { key })).status).toBe(403)
    for (let i = 0; i < 10; i++) expect((await server.api('GET', '/health', { key: key.slice(0, -1) + (key.endsWith('x') ? 'y' : 'x') })).status).toBe(401)
    for (let i = 0; i < 3; i++) expect((await server.api('GET', '/health', { key })).status).toBe(200)
    expect((await server.api('GET', '/health', { key })).status).toBe(429)
  })
})

describe('deployer classes (PORTICO_RATE_LIMITS)', () => {
  it('replace the defaults and the modules\' classes', async () => {
    const server = await startServer({ modules: [testModule], env: { PORTICO_RATE_LIMITS: 'general=3/10, send=1/5' } })
    try {
      const { key } = await server.createOrg()
      const sent = await server.api('POST', '/test/send', { key })
      expect(sent.headers.get('ratelimit-policy')).toBe('"general";q=3;w=10, "send";q=1;w=5')
      expect((await server.api('POST', '/test/send', { key })).status).toBe(429)
      expect((await server.api('GET', '/health', { key })).status).toBe(200)
      expect((await server.api('GET', '/health', { key })).status).toBe(200)
      const refused = await server.api('GET', '/health', { key })
      expect(refused.status).toBe(429)
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(11)
    } finally {
      await server.close()
    }
  })

  it('refuse a malformed value, naming the variable', () => {
    for (const value of ['general=0/60', 'general=10', 'General=1/1', 'general=1/100000', 'general=5/60,,']) {
      expect(() => loadConfig({ PORTICO_RATE_LIMITS: value })).toThrow(/^PORTICO_RATE_LIMITS: /)
    }
    expect(loadConfig({ PORTICO_RATE_LIMITS: 'general=600/60,export=5/3600' }).rateLimitClasses).toEqual([
      { name: 'general', limit: 600, windowSeconds: 60 },
      { name: 'export', limit: 5, windowSeconds: 3600 },
    ])
  })
})

describe.runIf(redisUrl)('rate limits on Redis', () => {
  let server: TestServer
  let admin: string
  beforeAll(async () => {
    server = await startServer({ modules: [testModule], env: { REDIS_URL: redisUrl!, PORTICO_REDIS_PREFIX: redisPrefix() }, startBackground: true })
    admin = (await server.createOrg()).key
  })
  afterAll(() => server.close())

  it('counts in Redis and refuses past the limit', async () => {
    const { key } = await limitKey(server, admin, { general: { limit: 5, window_seconds: 60 }, send: { limit: 1, window_seconds: 60 } })
    expect((await server.api('POST', '/test/send', { key })).status).toBe(201)
    expect((await server.api('POST', '/test/send', { key })).status).toBe(429)
    const statuses = []
    for (let i = 0; i < 5; i++) statuses.push((await server.api('GET', '/health', { key })).status)
    // One general request went to the admitted send; the refused send spent nothing.
    expect(statuses).toEqual([200, 200, 200, 200, 429])
    const ready = await fetch(`${server.url}/readyz`)
    expect((await ready.json()).checks.redis).toBe('ok')
  })
})

describe('when Redis is unreachable', () => {
  const capture = () => {
    const lines: string[] = []
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }))
    return { lines, logger, logged: (text: string) => lines.filter((l) => l.includes(text)).length }
  }

  /** A server whose Redis is reached through a proxy the test controls, with its log and a key. */
  async function behindProxy(test: (s: { proxy: RedisProxy; server: TestServer; key: string; logged: (text: string) => number }) => Promise<void>) {
    const proxy = await redisProxy(new URL(redisUrl!))
    const { logger, logged } = capture()
    const server = await startServer({ env: { REDIS_URL: proxy.url, PORTICO_REDIS_PREFIX: redisPrefix() }, logger })
    try {
      await test({ proxy, server, key: (await server.createOrg()).key, logged })
    } finally {
      proxy.thaw()
      await server.close()
      await proxy.stop()
    }
  }

  /** Calls `probe` every 100 ms until the log says "Redis is back" (10 s at most); its last answer. */
  async function untilBack<T>(logged: (text: string) => number, probe: () => Promise<T>): Promise<T | undefined> {
    const deadline = Date.now() + 10_000
    let last: T | undefined
    while (Date.now() < deadline && logged('Redis is back') === 0) {
      last = await probe()
      await new Promise((r) => setTimeout(r, 100))
    }
    return last
  }

  it('fail-open (default) keeps answering with in-process counters and says so once', async () => {
    const { lines, logger } = capture()
    const server = await startServer({ env: { REDIS_URL: 'redis://127.0.0.1:1' }, logger })
    try {
      const { key } = await server.createOrg()
      for (let i = 0; i < 5; i++) {
        const res = await server.api('GET', '/health', { key })
        expect(res.status).toBe(200)
        expect(res.headers.get('ratelimit')).toContain('"general";r=')
      }
      expect(lines.filter((l) => l.includes('Redis unreachable'))).toHaveLength(1)
      // Ready: it serves everything meanwhile, so a load balancer must not pull it.
      await expectReadyWithRedisDegraded(server.url)
    } finally {
      await server.close()
    }
  })

  it.runIf(redisUrl)('an outage and the recovery are each logged once, and counting is shared again after', () =>
    behindProxy(async ({ proxy, server, key, logged }) => {
      const remaining = async () => {
        const res = await server.api('GET', '/health', { key })
        expect(res.status).toBe(200)
        return parse(res.headers.get('ratelimit')).general!.r!
      }
      expect(await remaining()).toBe(299)
      await proxy.stop()
      // Counted in this process from zero while Redis is away.
      for (let i = 0; i < 5; i++) expect(await remaining()).toBe(299 - i)
      await expectReadyWithRedisDegraded(server.url)
      await proxy.start()
      // Redis still holds the one request made before the outage.
      expect(await untilBack(logged, remaining)).toBe(298)
      expect(await remaining()).toBe(297)
      expect(logged('Redis unreachable')).toBe(1)
      expect(logged('Redis is back')).toBe(1)
    }))

  it.runIf(redisUrl)('a Redis that stops answering without closing the connection fails over within about a second', () =>
    behindProxy(async ({ proxy, server, key, logged }) => {
      const ok = async () => expect((await server.api('GET', '/health', { key })).status).toBe(200)
      await ok()
      proxy.freeze()
      const started = Date.now()
      await ok()
      expect(Date.now() - started).toBeLessThan(2500)
      // Later requests do not wait for the silent Redis one by one.
      const next = Date.now()
      for (let i = 0; i < 3; i++) await ok()
      expect(Date.now() - next).toBeLessThan(1000)
      expect(logged('Redis unreachable')).toBe(1)
      // Once Redis answers again, counting is shared again.
      proxy.thaw()
      await untilBack(logged, ok)
      expect(logged('Redis is back')).toBe(1)
    }))

  it('fail-closed answers 503 service_unavailable, and is not ready', async () => {
    const server = await startServer({ env: { REDIS_URL: 'redis://127.0.0.1:1', PORTICO_RATE_LIMIT_FAIL_OPEN: '0' } })
    try {
      const { key } = await server.createOrg()
      const res = await server.api('GET', '/health', { key })
      expect(res.status).toBe(503)
      expect(res.body.error.code).toBe('service_unavailable')
      expect(res.headers.get('retry-after')).toBe('1')
      const ready = await fetch(`${server.url}/readyz`)
      expect(ready.status).toBe(503)
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.redis).toBe('unavailable')
    } finally {
      await server.close()
    }
  })
})

async function expectReadyWithRedisDegraded(url: string): Promise<void> {
  const ready = await fetch(`${url}/readyz`)
  expect(ready.status).toBe(200)
  expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'degraded' } })
}

/**
 * A TCP hop in front of the real Redis that a test can cut and restore, to stage an outage, or
 * freeze and thaw: connections stay open and nothing is answered until the thaw, as from a Redis
 * that hangs (blocked by a long script, say) and then carries on.
 */
type RedisProxy = Awaited<ReturnType<typeof redisProxy>>

async function redisProxy(target: URL) {
  const sockets = new Set<net.Socket>()
  let frozen = false
  const held: [net.Socket, Buffer][] = []
  const relay = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname)
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(a)
      a.on('error', () => b.destroy())
      a.on('close', () => (sockets.delete(a), b.destroy()))
      a.on('data', (chunk: Buffer) => (frozen ? held.push([b, chunk]) : b.write(chunk)))
    }
  })
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
  const port = (relay.address() as net.AddressInfo).port
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze: () => void (frozen = true),
    thaw: () => {
      frozen = false
      for (const [socket, chunk] of held.splice(0)) if (!socket.destroyed) socket.write(chunk)
    },
    start: () => new Promise<void>((resolve, reject) => relay.once('error', reject).listen(port, '127.0.0.1', () => resolve())),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        if (!relay.listening) return resolve()
        relay.close(() => resolve())
      }),
  }
}
