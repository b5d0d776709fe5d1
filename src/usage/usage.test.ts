import { randomUUID } from 'node:crypto'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import type { OrgKeyPrincipal } from '../core/principal.js'
import { UsageRecorder } from './usage-recorder.js'

describe.each(engines)('usage (%s)', (engine) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ engine })
  })
  afterAll(() => server.close())

  it('counts requests per key and day by outcome, written in batches', async () => {
    const { key } = await server.createOrg()
    const reader = (await server.api('POST', '/keys', { key, body: { name: 'reader', scopes: ['read'] } })).body
    await server.api('PATCH', `/keys/${reader.id}`, { key, body: { rate_limits: { general: { limit: 3, window_seconds: 60 } } } })
    await server.api('GET', '/health', { key: reader.key })
    await server.api('GET', '/health', { key: reader.key })
    await server.api('GET', '/keys', { key: reader.key }) // 403: scope, spends no quota
    await server.api('GET', '/health', { key: reader.key })
    await server.api('GET', '/health', { key: reader.key }) // 429: over its limit of 3
    // Nothing is written per request: before the flush there is nothing to read.
    expect((await server.api('GET', '/usage', { key })).body.data.filter((r: { key_id: string }) => r.key_id === reader.id)).toEqual([])
    await server.portico.flushUsage()
    const usage = await server.api('GET', '/usage?days=7', { key })
    expect(usage.status).toBe(200)
    const mine = usage.body.data.filter((r: { key_id: string }) => r.key_id === reader.id)
    const byOutcome = Object.fromEntries(mine.map((r: { outcome: string; count: number }) => [r.outcome, r.count]))
    expect(byOutcome).toEqual({ '2xx': 3, '4xx': 1, '429': 1 })
    expect(mine[0]).toMatchObject({ key_prefix: reader.prefix, key_name: 'reader', day: new Date().toISOString().slice(0, 10) })
    await server.api('GET', '/health', { key: reader.key })
    await server.portico.flushUsage()
    const again = (await server.api('GET', '/usage', { key })).body.data.find((r: { key_id: string; outcome: string }) => r.key_id === reader.id && r.outcome === '429')
    expect(again.count).toBe(2)
  })
})

describe.each(engines)('usage recorder (%s)', (engine) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ engine })
  })
  afterAll(() => server.close())

  const principal = (orgId: string, keyId: string): OrgKeyPrincipal => ({ kind: 'org_key', orgId, keyId, keyPrefix: 'ptk_x', keyName: 'x', scopes: ['read'], keyExpiresAt: null })

  it('splits counts at UTC midnight, writes many keys in few statements, and flushes what is left on stop', async () => {
    const db = server.db.handle.db
    const recorder = new UsageRecorder(db, pino({ level: 'silent' }), 60_000)
    const orgId = randomUUID()
    const keys = Array.from({ length: 1200 }, () => randomUUID())
    const midnight = Date.parse('2026-03-02T00:00:00Z')
    for (const keyId of keys) recorder.observe({ principal: principal(orgId, keyId), status: 200, at: midnight - 1 })
    recorder.observe({ principal: principal(orgId, keys[0]!), status: 503, at: midnight })
    recorder.observe({ principal: undefined, status: 401, at: midnight }) // no key, nothing to count
    // Two flushes at once (the timer's and shutdown's) write each count once.
    await Promise.all([recorder.flush(), recorder.flush()])
    recorder.observe({ principal: principal(orgId, keys[0]!), status: 200, at: midnight + 1 })
    await recorder.stop()
    const rows = await db.selectFrom('usage_daily').selectAll().where('org_id', '=', orgId).execute()
    expect(rows).toHaveLength(1202)
    const first = rows.filter((r) => r.key_id === keys[0]).map((r) => [r.day, r.outcome, Number(r.count)])
    expect(first.sort()).toEqual([
      ['2026-03-01', '2xx', 1],
      ['2026-03-02', '2xx', 1],
      ['2026-03-02', '5xx', 1],
    ])
  })

  it('GET /usage answers one key on request, and only the caller organisation', async () => {
    const { key } = await server.createOrg()
    const other = await server.createOrg('Other')
    const a = (await server.api('POST', '/keys', { key, body: { name: 'a' } })).body
    const b = (await server.api('POST', '/keys', { key, body: { name: 'b' } })).body
    await server.api('GET', '/health', { key: a.key })
    await server.api('GET', '/health', { key: b.key })
    await server.api('GET', '/health', { key: other.key })
    await server.portico.flushUsage()
    const one = (await server.api('GET', `/usage?key_id=${a.id}`, { key })).body.data
    expect(one.map((r: { key_id: string }) => r.key_id)).toEqual([a.id])
    const all = (await server.api('GET', '/usage', { key })).body.data.map((r: { key_id: string }) => r.key_id)
    expect(all).toEqual(expect.arrayContaining([a.id, b.id]))
    const otherKey = (await server.api('GET', '/health', { key: other.key })).body.key.id
    expect(all).not.toContain(otherKey)
    expect((await server.api('GET', '/usage?days=91', { key })).status).toBe(400)
  })
})
