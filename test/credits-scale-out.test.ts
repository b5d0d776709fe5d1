import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployment, redisPrefix, redisUrl, type Deployment, type TestServer } from './harness.js'

const postgres = Boolean(process.env.PORTICO_TEST_POSTGRES_URL)
const setups = [
  ...(postgres && redisUrl ? [{ name: 'PostgreSQL and one Redis', env: () => ({ REDIS_URL: redisUrl!, PORTICO_REDIS_PREFIX: prefix, PORTICO_RATE_LIMIT_FAIL_OPEN: '0' }) }] : []),
  ...(postgres ? [{ name: 'PostgreSQL alone', env: () => ({}) }] : []),
]
let prefix = ''

// Without PostgreSQL there is nothing to run, but the file still declares a suite (CI sets the URL, and then this one is not declared).
if (setups.length === 0) {
  describe('credits and allow-lists across two instances', () => {
    it.skip('needs PORTICO_TEST_POSTGRES_URL', () => {})
  })
}

describe.each(setups)('credits and allow-lists across two instances on $name', (setup) => {
  let deploy: Deployment
  let a: TestServer
  let b: TestServer
  let admin: string
  let orgId: string

  beforeAll(async () => {
    prefix = redisPrefix()
    deploy = await deployment('postgres')
    a = await deploy.instance({ env: { ...setup.env(), PORTICO_TRUST_PROXY: '1' } })
    b = await deploy.instance({ env: { ...setup.env(), PORTICO_TRUST_PROXY: '1' } })
    ;({ key: admin, orgId } = await a.createOrg('Shared'))
  }, 60_000)
  afterAll(() => deploy?.close())

  const mint = async (body: Record<string, unknown>) => {
    const res = await a.api('POST', '/keys', { key: admin, body: { name: 'k', ...body } })
    expect(res.status, res.text).toBe(201)
    return res.body as { id: string; key: string }
  }

  it('admits exactly 1,000 requests of a key with 1,000 credits spent on both at once', async () => {
    const k = await mint({ credits: { remaining: 1000 } })
    // Above what an organisation may set itself: the operator's doing, as the bench does it.
    await a.portico.database.db.updateTable('api_keys').set({ rate_limits: JSON.stringify({ general: { limit: 100_000, window_seconds: 60 } }) }).where('id', '=', k.id).execute()
    let admitted = 0
    let exceeded = 0
    // 1,300 requests, 650 per instance, 16 in flight on each.
    await Promise.all(
      [a, b].map(async (server) => {
        let left = 650
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (left-- > 0) {
              const res = await fetch(`${server.url}/api/v1/health`, { headers: { authorization: `Bearer ${k.key}` } })
              const body = (await res.json()) as { error?: { code: string } }
              if (res.status === 200) admitted++
              else if (res.status === 429 && body.error?.code === 'usage_exceeded') exceeded++
              else throw new Error(`unexpected ${res.status} ${JSON.stringify(body)}`)
            }
          }),
        )
      }),
    )
    expect(admitted).toBe(1000)
    expect(exceeded).toBe(300)
    for (const server of [a, b]) expect((await server.api('GET', `/keys/${k.id}`, { key: admin })).body.credits.remaining).toBe(0)
  }, 120_000)

  it('refills once when both instances find the refill due at the same moment', async () => {
    const k = await mint({ credits: { remaining: 0, refill: { amount: 20, interval: 'monthly' } } })
    await a.portico.database.db.updateTable('api_key_credits').set({ period: '2000-01' }).where('key_id', '=', k.id).execute()
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => fetch(`${(i % 2 ? a : b).url}/api/v1/health`, { headers: { authorization: `Bearer ${k.key}` } }).then((r) => r.status)),
    )
    expect(answers.filter((s) => s === 200)).toHaveLength(20)
    expect(answers.filter((s) => s === 429)).toHaveLength(40)
  })

  it('an allow-list set on one instance is enforced by the other within a second', async () => {
    const k = await mint({})
    const health = (server: TestServer, ip: string) => server.api('GET', '/health', { key: k.key, headers: { 'x-forwarded-for': ip } }).then((r) => r.status)
    expect(await health(b, '192.0.2.1')).toBe(200)
    expect((await a.api('PATCH', `/keys/${k.id}`, { key: admin, body: { allowed_ips: ['203.0.113.0/24'] } })).status).toBe(200)
    const started = Date.now()
    while ((await health(b, '192.0.2.1')) === 200) {
      expect(Date.now() - started).toBeLessThan(1000)
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(await health(b, '192.0.2.1')).toBe(403)
    expect(await health(b, '203.0.113.5')).toBe(200)
  })

  // Without Redis each instance counts rate limits on its own, shared pools included.
  // One pool across instances needs the shared limiter: the Redis setup alone has one.
  if (setup.name.includes('Redis')) it('a shared organisation pool is one pool across keys and instances', async () => {
    await a.portico.database.db
      .updateTable('organizations')
      .set({ rate_limits: JSON.stringify({ general: { limit: 10, window_seconds: 3600, shared: true } }) })
      .where('id', '=', orgId)
      .execute()
    const one = await mint({ name: 'one' })
    const two = await mint({ name: 'two' })
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => fetch(`${(i % 2 ? a : b).url}/api/v1/health`, { headers: { authorization: `Bearer ${i % 3 ? one.key : two.key}` } }).then((r) => r.status)),
    )
    expect(statuses.filter((s) => s === 200)).toHaveLength(10)
  })
})
