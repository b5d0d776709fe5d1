import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditWriter } from '../src/audit/audit-writer.js'
import { systemMeta, runInTransaction } from '../src/core/transaction.js'
import { TransactionalOutbox } from '../src/events/outbox.js'
import { generateKey } from '../src/keys/key-format.js'
import { engines, startServer, type TestServer } from './harness.js'

describe.each(engines)('authentication table of PRODUCT.md (%s)', (engine) => {
  let server: TestServer
  let org: { orgId: string; key: string }

  beforeAll(async () => {
    server = await startServer({ engine, env: { PORTICO_AUTH_FAILURES_PER_MINUTE: '1000' } })
    org = await server.createOrg()
  })
  afterAll(() => server.close())

  const health = (headers: Record<string, string>) => server.api('GET', '/health', { headers })
  const mint = async (body: Record<string, unknown> = { name: 't', scopes: ['read'] }) =>
    (await server.api('POST', '/keys', { key: org.key, body })).body as { id: string; key: string }

  it('accepts the key as Bearer, bare Authorization and X-API-Key', async () => {
    const forms: Record<string, string>[] = [
      { authorization: `Bearer ${org.key}` },
      { authorization: `bearer ${org.key}` },
      { authorization: `Bearer   ${org.key}` },
      { authorization: org.key },
      { 'x-api-key': org.key },
    ]
    for (const headers of forms) {
      const res = await health(headers)
      expect(res.status, JSON.stringify(headers)).toBe(200)
      expect(res.body.key.org_id).toBe(org.orgId)
    }
  })

  it('no key → 401 missing_api_key', async () => {
    const res = await health({})
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('missing_api_key')
    expect(res.body.error.request_id).toBe(res.headers.get('x-request-id'))
  })

  it('malformed, bad checksum or unknown key → 401 invalid_api_key', async () => {
    const typo = org.key.slice(0, 10) + (org.key[10] === 'A' ? 'B' : 'A') + org.key.slice(11)
    const unknown = generateKey('ptk').key
    // The valid key with more after it, and a key of the right shape but too long, after it is cached.
    const longer = [`${org.key}x`, `ptk${'a'.repeat(20)}_${org.key.slice(4)}`]
    for (const key of ['nonsense', 'ptk_short', typo, unknown, `Basic ${org.key}`, generateKey('zzz').key, ...longer]) {
      const res = await health({ authorization: key })
      expect(res.status, key).toBe(401)
      expect(res.body.error.code).toBe('invalid_api_key')
      expect(res.text).not.toContain(key.slice(4))
    }
  })

  it('expired key → 401 api_key_expired', async () => {
    const { id, key } = await mint()
    await server.portico.database.db.updateTable('api_keys').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', id).execute()
    const res = await health({ authorization: key })
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('api_key_expired')
  })

  it('revoked key → 403 api_key_revoked', async () => {
    const { id, key } = await mint()
    await server.api('DELETE', `/keys/${id}`, { key: org.key })
    const res = await health({ authorization: key })
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('api_key_revoked')
  })

  it('missing scope → 403 insufficient_scope naming the scope', async () => {
    const { key } = await mint({ name: 'reader', scopes: ['read'] })
    const res = await server.api('GET', '/keys', { key })
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('insufficient_scope')
    expect(res.body.error.message).toContain('admin')
  })

  it('suspended organisation → 403 organization_suspended', async () => {
    const other = await server.createOrg('Suspended Ltd')
    await server.portico.database.db.updateTable('organizations').set({ status: 'suspended' }).where('id', '=', other.orgId).execute()
    const res = await health({ authorization: other.key })
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('organization_suspended')
  })

  it('reseller key on an organisation route → 403 wrong_key_type; health still answers', async () => {
    const db = server.portico.database.db
    const resellerId = randomUUID()
    await db.insertInto('resellers').values({ id: resellerId, name: 'Partner', status: 'active', created_at: new Date().toISOString() }).execute()
    const { key } = await runInTransaction({ db, outbox: new TransactionalOutbox(), auditWriter }, null, systemMeta(), null, (tx) =>
      server.portico.services.keys.mint(tx, null, { type: 'reseller', resellerId }, { name: 'partner', scopes: ['read', 'admin'], expiresAt: null }),
    )
    expect(key).toMatch(/^rsk_/)
    const res = await server.api('GET', '/keys', { key })
    expect(res.status).toBe(403)
    expect(res.body.error.code).toBe('wrong_key_type')
    const ok = await health({ authorization: key })
    expect(ok.status).toBe(200)
    expect(ok.body.key.kind).toBe('reseller')
  })

  it('unknown id or an id of another organisation → 404 not_found', async () => {
    const res = await server.api('GET', `/keys/${randomUUID()}`, { key: org.key })
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('not_found')
  })

  it('routing comes before authentication: an unknown path is 404 with or without a key', async () => {
    for (const key of [undefined, org.key, 'garbage']) {
      const res = await server.api('GET', '/no-such-thing', { key })
      expect(res.status).toBe(404)
      expect(res.body.error.code).toBe('not_found')
    }
  })
})

describe('failed authentication is rate limited per client address', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ env: { PORTICO_AUTH_FAILURES_PER_MINUTE: '20' } })
  })
  afterAll(() => server.close())

  it('after 20 failures a minute further failures are 429, while a valid key is still served', async () => {
    const { key } = await server.createOrg()
    for (let i = 0; i < 20; i++) expect((await server.api('GET', '/health', { key: 'ptk_wrong' })).status).toBe(401)
    const locked = await server.api('GET', '/health', { key: 'ptk_wrong' })
    expect(locked.status).toBe(429)
    expect(locked.body.error.code).toBe('rate_limited')
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(locked.body.error.retry_after).toBe(Number(locked.headers.get('retry-after')))
    expect((await server.api('GET', '/health', {})).status).toBe(429)
    const ok = await server.api('GET', '/health', { key })
    expect(ok.status).toBe(200)
  })
})
