import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'

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
