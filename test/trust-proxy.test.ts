import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/core/config.js'
import { engines, startServer, type TestServer } from './harness.js'
import { Visitor } from './visitor.js'

it('PORTICO_TRUST_PROXY is a number of proxies; true is one, false none, anything else stops the start', () => {
  expect(loadConfig({}).trustProxy).toBe(0)
  expect(loadConfig({ PORTICO_TRUST_PROXY: 'false' }).trustProxy).toBe(0)
  expect(loadConfig({ PORTICO_TRUST_PROXY: '0' }).trustProxy).toBe(0)
  expect(loadConfig({ PORTICO_TRUST_PROXY: 'true' }).trustProxy).toBe(1)
  expect(loadConfig({ PORTICO_TRUST_PROXY: '1' }).trustProxy).toBe(1)
  expect(loadConfig({ PORTICO_TRUST_PROXY: '3' }).trustProxy).toBe(3)
  for (const bad of ['yes', '-1', '1.5', 'two', '100']) expect(() => loadConfig({ PORTICO_TRUST_PROXY: bad }), bad).toThrow(ConfigError)
})

/**
 * Every proxy appends the address it was reached from, so only the rightmost entries of
 * X-Forwarded-For are the proxies' word; whatever a client writes on the left is ignored. The
 * address feeds failed-auth throttling, sign-in throttling and the audit log.
 */
describe.each(engines)('the client address behind proxies (%s)', (engine) => {
  let one: TestServer
  let two: TestServer
  let none: TestServer
  beforeAll(async () => {
    const env = { PORTICO_AUTH_FAILURES_PER_MINUTE: '5' }
    ;[one, two, none] = await Promise.all([
      startServer({ engine, env: { ...env, PORTICO_TRUST_PROXY: '1' } }),
      startServer({ engine, env: { ...env, PORTICO_TRUST_PROXY: '2' } }),
      startServer({ engine, env: { ...env, PORTICO_TRUST_PROXY: '0' } }),
    ])
  })
  afterAll(() => Promise.all([one, two, none].map((s) => s.close())))

  /** Mints a key through the API with this X-Forwarded-For and answers the audit row's address. */
  const auditedAddress = async (server: TestServer, forwardedFor: string) => {
    const { key } = await server.createOrg()
    const minted = await server.api('POST', '/keys', { key, body: { name: 'audited' }, headers: { 'x-forwarded-for': forwardedFor } })
    expect(minted.status, minted.text).toBe(201)
    const row = await server.db.handle.db.selectFrom('audit_log').select('ip').where('target_id', '=', minted.body.id).where('action', '=', 'api_key.created').executeTakeFirstOrThrow()
    return row.ip
  }

  it('audits the rightmost entry behind one proxy, the second from the right behind two, the socket with none', async () => {
    expect(await auditedAddress(one, '6.6.6.6, 203.0.113.7')).toBe('203.0.113.7')
    expect(await auditedAddress(two, '6.6.6.6, 203.0.113.8, 10.0.0.2')).toBe('203.0.113.8')
    // Fewer entries than proxies: the leftmost there is.
    expect(await auditedAddress(two, '203.0.113.9')).toBe('203.0.113.9')
    expect(await auditedAddress(none, '6.6.6.6')).toBe('127.0.0.1')
  })

  it('throttles failed authentication by the proxy-reported address, whatever the client writes to the left', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) {
      const res = await one.api('GET', '/health', { key: 'ptk_not_a_real_key', headers: { 'x-forwarded-for': `10.9.${i}.1, 198.51.100.20` } })
      statuses.push(res.status)
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401])
    expect(statuses.slice(5)).toEqual([429, 429, 429])
    // Another real client behind the same proxy is not affected.
    expect((await one.api('GET', '/health', { key: 'ptk_not_a_real_key', headers: { 'x-forwarded-for': '198.51.100.21' } })).status).toBe(401)
  })

  it('throttles sign-in by the proxy-reported address, whatever the client writes to the left', async () => {
    const visitor = new Visitor(one.url)
    await visitor.get('/login')
    const csrf = visitor.token('_csrf')
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${one.url}/login`, {
        method: 'POST',
        headers: { cookie: [...visitor.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'x-forwarded-for': `10.8.${i}.1, 198.51.100.30` },
        body: new URLSearchParams({ _csrf: csrf, email: 'someone@example.com', password: 'wrong password' }),
        redirect: 'manual',
      })
      statuses.push(res.status)
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true)
    expect(statuses.slice(10)).toEqual([429, 429])
  })
})
