import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { createReseller } from '../cli.js'

/**
 * An organisation may lower its keys' limits, never raise them: above the limit its reseller set
 * for it, or else the deployer's default, is the reseller's or the operator's call (403).
 */
describe.each(engines)('per-key limits stay under their ceiling (%s)', (engine) => {
  let server: TestServer
  let reseller: string
  beforeAll(async () => {
    server = await startServer({ engine })
    reseller = (await createReseller(server.db.handle, server.config, 'Partner')).key
  })
  afterAll(() => server.close())

  const patch = (key: string, id: string, rate_limits: unknown) => server.api('PATCH', `/keys/${id}`, { key, body: { rate_limits } })
  const selfId = async (key: string) => (await server.api('GET', '/health', { key })).body.key.id as string

  it('below the deployer default (general 300/60) by count and by rate; above is 403 and changes nothing', async () => {
    const { key } = await server.createOrg()
    const id = await selfId(key)
    for (const over of [
      { limit: 1_000_000, window_seconds: 1 },
      { limit: 301, window_seconds: 60 },
      // Fewer requests, but a shorter window: 600 a minute.
      { limit: 10, window_seconds: 1 },
      { limit: 301, window_seconds: 3600 },
    ]) {
      const res = await patch(key, id, { general: over })
      expect(res.status, JSON.stringify(over)).toBe(403)
      expect(res.body.error.code).toBe('insufficient_scope')
      expect(res.body.error.message).toContain('rate_limits.general')
      expect(res.body.error.message).toContain("deployment's default")
    }
    expect((await server.api('GET', `/keys/${id}`, { key })).body.rate_limits).toEqual({})
    expect((await patch(key, id, { send: { limit: 31, window_seconds: 60 } })).status).toBe(403)
    for (const fine of [{ limit: 300, window_seconds: 60 }, { limit: 5, window_seconds: 1 }, { limit: 100, window_seconds: 3600 }]) {
      expect((await patch(key, id, { general: fine })).status, JSON.stringify(fine)).toBe(200)
    }
    expect((await patch(key, id, { general: null })).status).toBe(200)
  })

  it("below the reseller's limit for the organisation, which the reseller may set above the default", async () => {
    const tight = (await server.api('POST', '/reseller/organizations', { key: reseller, body: { name: 'Small plan', rate_limits: { general: { limit: 50, window_seconds: 60 } } } })).body
    const tightKey = (await server.api('POST', `/reseller/organizations/${tight.id}/keys`, { key: reseller, body: { name: 'admin', scopes: ['read', 'admin'] } })).body
    const refused = await patch(tightKey.key, tightKey.id, { general: { limit: 100, window_seconds: 60 } })
    expect(refused.status).toBe(403)
    expect(refused.body.error.message).toContain('reseller')
    expect((await patch(tightKey.key, tightKey.id, { general: { limit: 40, window_seconds: 60 } })).status).toBe(200)

    const big = await server.api('POST', '/reseller/organizations', { key: reseller, body: { name: 'Big plan', rate_limits: { general: { limit: 10_000, window_seconds: 60 } } } })
    expect(big.status, big.text).toBe(201)
    const bigKey = (await server.api('POST', `/reseller/organizations/${big.body.id}/keys`, { key: reseller, body: { name: 'admin', scopes: ['read', 'admin'] } })).body
    expect((await patch(bigKey.key, bigKey.id, { general: { limit: 5_000, window_seconds: 60 } })).status).toBe(200)
    expect((await patch(bigKey.key, bigKey.id, { general: { limit: 20_000, window_seconds: 60 } })).status).toBe(403)
  })
})
