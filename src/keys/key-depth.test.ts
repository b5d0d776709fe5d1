import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { createReseller } from '../cli.js'

describe.each(engines)('keys, deeper: metadata, credits, allow-lists, shared limits (%s)', (engine) => {
  let server: TestServer
  let org: { orgId: string; key: string }

  beforeAll(async () => {
    // One proxy in front: the client address is the rightmost X-Forwarded-For entry.
    server = await startServer({ engine, env: { PORTICO_TRUST_PROXY: '1' } })
    org = await server.createOrg('Acme')
  })
  afterAll(() => server.close())

  const mint = async (body: Record<string, unknown>) => {
    const res = await server.api('POST', '/keys', { key: org.key, body: { name: 'k', scopes: ['read', 'admin'], ...body } })
    expect(res.status, res.text).toBe(201)
    return res.body as { id: string; key: string } & Record<string, unknown>
  }
  const from = (ip: string) => ({ 'x-forwarded-for': ip })

  describe('metadata', () => {
    it('is set at minting, replaced by PATCH, and shown by GET /keys/{id} and /health', async () => {
      const k = await mint({ meta: { plan: 'pro', customer: { id: 'cus_1' } } })
      expect(k.meta).toEqual({ plan: 'pro', customer: { id: 'cus_1' } })
      const health = await server.api('GET', '/health', { key: k.key })
      expect(health.body.key.meta).toEqual({ plan: 'pro', customer: { id: 'cus_1' } })

      const patched = await server.api('PATCH', `/keys/${k.id}`, { key: org.key, body: { meta: { plan: 'team' } } })
      expect(patched.status).toBe(200)
      expect(patched.body.meta).toEqual({ plan: 'team' })
      expect((await server.api('GET', `/keys/${k.id}`, { key: org.key })).body.meta).toEqual({ plan: 'team' })
      // The key's own view follows at once: the change dropped it from the cache.
      expect((await server.api('GET', '/health', { key: k.key })).body.key.meta).toEqual({ plan: 'team' })

      const cleared = await server.api('PATCH', `/keys/${k.id}`, { key: org.key, body: { meta: null } })
      expect(cleared.body.meta).toEqual({})
    })

    it('is at most 4 KB as UTF-8 JSON, and an object', async () => {
      // {"a":"…"} is 8 bytes around the value; é is two bytes in UTF-8.
      const exactly = { a: 'é'.repeat((4096 - 8) / 2) }
      expect(Buffer.byteLength(JSON.stringify(exactly))).toBe(4096)
      expect((await server.api('POST', '/keys', { key: org.key, body: { name: 'fits', meta: exactly } })).status).toBe(201)
      const over = await server.api('POST', '/keys', { key: org.key, body: { name: 'too big', meta: { a: exactly.a + 'x' } } })
      expect(over.status).toBe(400)
      expect(over.body.error.code).toBe('validation_error')
      expect(over.body.error.fields).toHaveProperty('meta')
      const notObject = await server.api('POST', '/keys', { key: org.key, body: { name: 'list', meta: [1, 2] } })
      expect(notObject.status).toBe(400)
    })
  })

  describe('IP allow-lists', () => {
    it('admits listed addresses and blocks, refuses others with 403 ip_not_allowed, and follows a change at once', async () => {
      const k = await mint({ allowed_ips: ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7'] })
      expect(k.allowed_ips).toEqual(['203.0.113.0/24', '2001:db8::/32', '198.51.100.7'])
      for (const ip of ['203.0.113.9', '2001:db8::1', '198.51.100.7']) {
        expect((await server.api('GET', '/health', { key: k.key, headers: from(ip) })).status, ip).toBe(200)
      }
      for (const ip of ['198.51.100.8', '2001:db9::1', '192.0.2.1']) {
        const refused = await server.api('GET', '/health', { key: k.key, headers: from(ip) })
        expect(refused.status, ip).toBe(403)
        expect(refused.body.error.code).toBe('ip_not_allowed')
      }
      // Without a proxy entry the client is the socket's address, 127.0.0.1: not on the list.
      expect((await server.api('GET', '/health', { key: k.key })).status).toBe(403)

      const widened = await server.api('PATCH', `/keys/${k.id}`, { key: org.key, body: { allowed_ips: ['192.0.2.0/24'] } })
      expect(widened.status).toBe(200)
      expect((await server.api('GET', '/health', { key: k.key, headers: from('192.0.2.1') })).status).toBe(200)
      expect((await server.api('GET', '/health', { key: k.key, headers: from('203.0.113.9') })).status).toBe(403)
      await server.api('PATCH', `/keys/${k.id}`, { key: org.key, body: { allowed_ips: null } })
      expect((await server.api('GET', '/health', { key: k.key, headers: from('203.0.113.9') })).status).toBe(200)
    })

    it('is refused on MCP from outside the list, before any tool is listed', async () => {
      const k = await mint({ allowed_ips: ['203.0.113.0/24'] })
      const call = (ip: string) =>
        fetch(`${server.url}/mcp`, {
          method: 'POST',
          headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'x-forwarded-for': ip },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'platform_health', arguments: {} } }),
        })
      const outside = await call('192.0.2.1')
      expect(outside.status).toBe(403)
      expect((await outside.json()).error.code).toBe('ip_not_allowed')
      const inside = await call('203.0.113.1')
      expect(inside.status).toBe(200)
      const result = (await inside.json()).result
      expect(result.isError).toBeFalsy()
    })

    it('refuses an invalid CIDR with 400 naming the entry', async () => {
      for (const bad of ['203.0.113.0/33', 'example.com', '10.0.0.0/8/1', '2001:db8::/129', '']) {
        const res = await server.api('POST', '/keys', { key: org.key, body: { name: 'bad', allowed_ips: ['192.0.2.1', bad] } })
        expect(res.status, bad).toBe(400)
        expect(res.body.error.fields).toHaveProperty(['allowed_ips[1]'])
      }
    })
  })

  describe('credits', () => {
    it('spends one per request, answers the balance in a header, and refuses the request after the last credit', async () => {
      const k = await mint({ credits: { remaining: 3 } })
      expect(k.credits).toEqual({ remaining: 3, refill: null })
      const seen: string[] = []
      for (let i = 0; i < 3; i++) {
        const res = await server.api('GET', '/health', { key: k.key })
        expect(res.status).toBe(200)
        seen.push(res.headers.get('portico-credits-remaining')!)
      }
      expect(seen).toEqual(['2', '1', '0'])
      const refused = await server.api('GET', '/health', { key: k.key })
      expect(refused.status).toBe(429)
      expect(refused.body.error.code).toBe('usage_exceeded')
      expect(refused.headers.get('portico-credits-remaining')).toBe('0')
      // No refill: nothing to wait for.
      expect(refused.headers.get('retry-after')).toBeNull()
      expect((await server.api('GET', `/keys/${k.id}`, { key: org.key })).body.credits).toEqual({ remaining: 0, refill: null })

      // A new balance takes effect on the next request.
      const topped = await server.api('PATCH', `/keys/${k.id}`, { key: org.key, body: { credits: { remaining: 1 } } })
      expect(topped.body.credits).toEqual({ remaining: 1, refill: null })
      expect((await server.api('GET', '/health', { key: k.key })).status).toBe(200)
      expect((await server.api('GET', '/health', { key: k.key })).status).toBe(429)
      // null removes the cap.
      await server.api('PATCH', `/keys/${k.id}`, { key: org.key, body: { credits: null } })
      const free = await server.api('GET', '/health', { key: k.key })
      expect(free.status).toBe(200)
      expect(free.headers.get('portico-credits-remaining')).toBeNull()
    })

    it('answers Retry-After until the next refill, 00:00 UTC or the 1st of the month', async () => {
      const daily = await mint({ credits: { remaining: 0, refill: { amount: 10, interval: 'daily' } } })
      const now = Date.now()
      const d = new Date(now)
      const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
      const refused = await server.api('GET', '/health', { key: daily.key })
      expect(refused.status).toBe(429)
      const wait = Number(refused.headers.get('retry-after'))
      expect(Math.abs(wait - (midnight - now) / 1000)).toBeLessThan(5)
      expect(refused.body.error.retry_after).toBe(wait)

      const monthly = await mint({ credits: { remaining: 0, refill: { amount: 10, interval: 'monthly' } } })
      const first = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
      const m = await server.api('GET', '/health', { key: monthly.key })
      expect(Math.abs(Number(m.headers.get('retry-after')) - (first - now) / 1000)).toBeLessThan(5)
    })

    it('refills lazily, exactly once, when the period has turned, even under concurrent requests', async () => {
      const k = await mint({ credits: { remaining: 0, refill: { amount: 5, interval: 'daily' } } })
      // As if the balance was last set yesterday: the first request today finds a refill due.
      await server.portico.database.db.updateTable('api_key_credits').set({ period: '2000-01-01' }).where('key_id', '=', k.id).execute()
      const answers = await Promise.all(Array.from({ length: 12 }, () => server.api('GET', '/health', { key: k.key })))
      expect(answers.filter((a) => a.status === 200)).toHaveLength(5)
      expect(answers.filter((a) => a.status === 429).every((a) => a.body.error.code === 'usage_exceeded')).toBe(true)
      const row = await server.portico.database.db.selectFrom('api_key_credits').selectAll().where('key_id', '=', k.id).executeTakeFirstOrThrow()
      expect(row.period).toBe(new Date().toISOString().slice(0, 10))
      expect(Number(row.base)).toBe(5)
    })

    it('spends an operation\'s declared cost, shown in the catalog', async () => {
      const catalog = await server.api('GET', '/catalog', { key: org.key })
      expect(catalog.body.data.find((o: { id: string }) => o.id === 'platform.health').cost).toBe(1)
      const doc = await fetch(`${server.url}/api/v1/openapi.json`).then((r) => r.json())
      expect(doc.paths['/health'].get['x-portico-cost']).toBe(1)
    })

    it('counts a request refused for credits against no rate limit, and one refused by a rate limit against no credit', async () => {
      const k = await mint({ credits: { remaining: 2 } })
      await server.api('PATCH', `/keys/${k.id}`, { key: org.key, body: { rate_limits: { general: { limit: 3, window_seconds: 3600 } } } })
      expect((await server.api('GET', '/health', { key: k.key })).status).toBe(200)
      expect((await server.api('GET', '/health', { key: k.key })).status).toBe(200)
      // Out of credits: refused twice, and neither refusal is counted by the limit of 3.
      expect((await server.api('GET', '/health', { key: k.key })).body.error.code).toBe('usage_exceeded')
      expect((await server.api('GET', '/health', { key: k.key })).body.error.code).toBe('usage_exceeded')
      await server.api('PATCH', `/keys/${k.id}`, { key: org.key, body: { credits: { remaining: 5 } } })
      const third = await server.api('GET', '/health', { key: k.key })
      expect(third.status).toBe(200)
      expect(third.headers.get('ratelimit')).toContain('r=0')
      // Now the rate limit refuses: the balance stays at 4.
      const limited = await server.api('GET', '/health', { key: k.key })
      expect(limited.body.error.code).toBe('rate_limited')
      expect((await server.api('GET', `/keys/${k.id}`, { key: org.key })).body.credits.remaining).toBe(4)
    })
  })

  describe('shared organisation limits', () => {
    it('counts one pool across the organisation\'s keys, together with each key\'s own limit', async () => {
      const { key: resellerKey } = await createReseller(server.db.handle, server.config, 'Partner')
      const created = await server.api('POST', '/reseller/organizations', {
        key: resellerKey,
        body: { name: 'Pooled', rate_limits: { general: { limit: 5, window_seconds: 3600, shared: true } } },
      })
      expect(created.status, created.text).toBe(201)
      expect(created.body.rate_limits.general).toEqual({ limit: 5, window_seconds: 3600, shared: true })
      const orgKey = async (body: Record<string, unknown> = {}) => {
        const res = await server.api('POST', `/reseller/organizations/${created.body.id}/keys`, { key: resellerKey, body: { name: 'k', ...body } })
        expect(res.status, res.text).toBe(201)
        return res.body
      }
      const a = await orgKey({ meta: { plan: 'pooled' }, credits: { remaining: 100 } })
      expect(a.meta).toEqual({ plan: 'pooled' })
      expect(a.credits.remaining).toBe(100)
      const b = await orgKey()
      const statuses: number[] = []
      for (const k of [a, b, a, b, a, b, a]) statuses.push((await server.api('GET', '/health', { key: k.key })).status)
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429])
      const refused = await server.api('GET', '/health', { key: b.key })
      expect(refused.body.error.message).toContain('org:general')
      expect(refused.headers.get('ratelimit-policy')).toContain('"org:general";q=5;w=3600')
      // The pool refused key a twice: neither refusal spent a credit.
      expect((await server.api('GET', `/reseller/organizations/${created.body.id}/keys`, { key: resellerKey })).body.data.find((k: { id: string }) => k.id === a.id).credits.remaining).toBe(97)
    })
  })
})
