import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployment, engines, startServer, type Deployment, type TestServer } from '../../test/harness.js'
import { callTool } from '../../test/security/doorways.js'
import { createReseller } from '../cli.js'

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')
/** A key as another system minted it: no Portico format, no checksum. */
const foreignKey = (prefix = 'sk_live_') => `${prefix}${randomBytes(24).toString('base64url')}`

describe.each(engines)('key import over HTTP (%s)', (engine) => {
  let server: TestServer
  let org: { orgId: string; key: string }

  beforeAll(async () => {
    server = await startServer({ engine, env: { PORTICO_AUTH_FAILURES_PER_MINUTE: '100000' } })
    org = await server.createOrg('Importer')
  })
  afterAll(() => server.close())

  const lookUps = () => {
    const store = server.portico.services.keys.store
    const original = store.findByHash.bind(store)
    const calls: string[] = []
    store.findByHash = (hash: string) => {
      calls.push(hash)
      return original(hash)
    }
    return { calls, restore: () => void (store.findByHash = original) }
  }

  it('imports one key that then authenticates with its original plaintext, over REST and MCP', async () => {
    const plain = foreignKey()
    const res = await server.api('POST', '/keys/import', { key: org.key, body: { hash: sha256(plain), prefix: 'sk_live_', name: 'From the old system', scopes: ['read', 'admin'] } })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({ object: 'api_key', prefix: 'sk_live_', name: 'From the old system', scopes: ['read', 'admin'], imported: true, status: 'active', org_id: org.orgId })
    expect(res.body).not.toHaveProperty('key')
    const health = await server.api('GET', '/health', { key: plain })
    expect(health.status, health.text).toBe(200)
    expect(health.body.key).toMatchObject({ id: res.body.id, prefix: 'sk_live_' })
    // The X-API-Key header too, and a second request served from the cache.
    const again = await server.api('GET', '/keys', { headers: { 'x-api-key': plain } })
    expect(again.status).toBe(200)
    // MCP, through the same guard: the tool answers for the imported key.
    const tool = await callTool(server.url, plain, 'platform_health', {})
    expect(tool.res.status, tool.text).toBe(200)
    expect(tool.text).toContain(res.body.id)
    expect(tool.json?.result?.isError).toBeFalsy()
    // A similar token that was never imported is unknown.
    expect((await server.api('GET', '/health', { key: foreignKey() })).body.error.code).toBe('invalid_api_key')
  })

  it('imports a batch in order, and fails whole on a duplicate or an invalid entry', async () => {
    const plains = Array.from({ length: 3 }, () => foreignKey('acme-'))
    const batch = await server.api('POST', '/keys/import', {
      key: org.key,
      body: { keys: plains.map((p, i) => ({ hash: sha256(p), prefix: 'acme-', name: `Batch ${i}`, expires_at: new Date(Date.now() + 86_400_000 * 30).toISOString() })) },
    })
    expect(batch.status, batch.text).toBe(201)
    expect(batch.body.data.map((k: { name: string }) => k.name)).toEqual(['Batch 0', 'Batch 1', 'Batch 2'])
    for (const p of plains) expect((await server.api('GET', '/health', { key: p })).status).toBe(200)

    const count = async () => (await server.portico.database.db.selectFrom('api_keys').select('id').where('org_id', '=', org.orgId).execute()).length
    const before = await count()
    const fresh = foreignKey('acme-')
    // One already imported: 409, and the new one beside it is not imported either.
    const dup = await server.api('POST', '/keys/import', { key: org.key, body: { keys: [{ hash: sha256(fresh), prefix: 'acme-', name: 'New' }, { hash: sha256(plains[1]!), prefix: 'acme-', name: 'Again' }] } })
    expect(dup.status).toBe(409)
    expect(dup.body.error.code).toBe('conflict')
    expect(dup.body.error.fields).toHaveProperty(['keys[1].hash'])
    // The same hash twice in one batch.
    const twice = await server.api('POST', '/keys/import', { key: org.key, body: { keys: [{ hash: sha256(fresh), prefix: 'acme-', name: 'A' }, { hash: sha256(fresh), prefix: 'acme-', name: 'B' }] } })
    expect(twice.status).toBe(409)
    // A single key already known.
    const one = await server.api('POST', '/keys/import', { key: org.key, body: { hash: sha256(plains[0]!), prefix: 'acme-', name: 'Again' } })
    expect(one.status).toBe(409)
    // An invalid entry fails the batch with 400 naming it.
    const bad = await server.api('POST', '/keys/import', { key: org.key, body: { keys: [{ hash: sha256(fresh), prefix: 'acme-', name: 'ok' }, { hash: 'nothex', prefix: 'acme-', name: 'bad' }] } })
    expect(bad.status).toBe(400)
    expect(bad.body.error.fields).toHaveProperty(['keys[1].hash'])
    expect(await count()).toBe(before)
    expect((await server.api('GET', '/health', { key: fresh })).status).toBe(401)
    // Over 1,000 is refused.
    const many = Array.from({ length: 1001 }, (_, i) => ({ hash: sha256(`k${i}`), prefix: 'acme-', name: `k${i}` }))
    expect((await server.api('POST', '/keys/import', { key: org.key, body: { keys: many } })).status).toBe(400)
    // Fields of one key beside `keys`, or a single key missing its hash.
    expect((await server.api('POST', '/keys/import', { key: org.key, body: { name: 'x', keys: [{ hash: sha256(fresh), prefix: 'acme-', name: 'A' }] } })).status).toBe(400)
    expect((await server.api('POST', '/keys/import', { key: org.key, body: { prefix: 'acme-', name: 'A' } })).body.error.fields).toHaveProperty('hash')
  })

  it('a batch of 1,000 is one request', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => ({ hash: sha256(`bulk-${i}-${randomBytes(8).toString('hex')}`), prefix: `bulk${i % 7}_`, name: `Bulk ${i}` }))
    const res = await server.api('POST', '/keys/import', { key: org.key, body: { keys } })
    expect(res.status, res.text.slice(0, 300)).toBe(201)
    expect(res.body.data).toHaveLength(1000)
    expect(res.body.data[999].name).toBe('Bulk 999')
  })

  it('refuses scopes the caller lacks and needs admin', async () => {
    const reader = await server.api('POST', '/keys', { key: org.key, body: { name: 'reader', scopes: ['read'] } })
    const res = await server.api('POST', '/keys/import', { key: reader.body.key, body: { hash: sha256(foreignKey()), prefix: 'sk_live_', name: 'x' } })
    expect(res.status).toBe(403)
    const admin = await server.api('POST', '/keys', { key: org.key, body: { name: 'admin only', scopes: ['admin'] } })
    const wider = await server.api('POST', '/keys/import', { key: admin.body.key, body: { hash: sha256(foreignKey()), prefix: 'sk_live_', name: 'x', scopes: ['actions'] } })
    expect(wider.status).toBe(403)
    expect(wider.body.error.code).toBe('insufficient_scope')
  })

  it('refuses random and non-format tokens offline: only those starting with an imported prefix are looked up', async () => {
    const spy = lookUps()
    try {
      for (const token of ['hello', foreignKey('zz_'), 'ptk_' + 'A'.repeat(48), 'x'.repeat(300), 'sk_test_nothing']) {
        const res = await server.api('GET', '/health', { key: token })
        expect(res.status).toBe(401)
      }
      expect(spy.calls).toEqual([])
      // A token starting with an imported prefix is looked up (and unknown).
      const res = await server.api('GET', '/health', { key: foreignKey() })
      expect(res.status).toBe(401)
      expect(spy.calls).toHaveLength(1)
    } finally {
      spy.restore()
    }
  })

  it('revokes and rolls an imported key; the replacement is in Portico format', async () => {
    const plain = foreignKey()
    const imported = await server.api('POST', '/keys/import', { key: org.key, body: { hash: sha256(plain), prefix: 'sk_live_', name: 'Roll me', scopes: ['read'] } })
    expect((await server.api('GET', '/health', { key: plain })).status).toBe(200)
    const rolled = await server.api('POST', `/keys/${imported.body.id}/roll`, { key: org.key, body: {} })
    expect(rolled.status, rolled.text).toBe(201)
    expect(rolled.body.key).toMatch(/^ptk_[0-9A-Za-z]{48}$/)
    expect(rolled.body).toMatchObject({ rolled_from: imported.body.id, imported: false, name: 'Roll me', scopes: ['read'] })
    expect((await server.api('GET', '/health', { key: plain })).body.error.code).toBe('api_key_revoked')
    expect((await server.api('GET', '/health', { key: rolled.body.key })).status).toBe(200)

    const other = foreignKey()
    const second = await server.api('POST', '/keys/import', { key: org.key, body: { hash: sha256(other), prefix: 'sk_live_', name: 'Revoke me' } })
    expect((await server.api('GET', '/health', { key: other })).status).toBe(200)
    expect((await server.api('DELETE', `/keys/${second.body.id}`, { key: org.key })).status).toBe(200)
    expect((await server.api('GET', '/health', { key: other })).body.error.code).toBe('api_key_revoked')
  })

  it("a reseller imports into its organisation's keys, never another reseller's", async () => {
    const north = await createReseller(server.db.handle, server.config, 'North')
    const south = await createReseller(server.db.handle, server.config, 'South')
    const orgRes = await server.api('POST', '/reseller/organizations', { key: north.key, body: { name: 'Customer' } })
    const plain = foreignKey('cust_')
    const body = { keys: [{ hash: sha256(plain), prefix: 'cust_', name: 'Migrated' }] }
    expect((await server.api('POST', `/reseller/organizations/${orgRes.body.id}/keys/import`, { key: south.key, body })).status).toBe(404)
    const res = await server.api('POST', `/reseller/organizations/${orgRes.body.id}/keys/import`, { key: north.key, body })
    expect(res.status, res.text).toBe(201)
    expect(res.body.data[0]).toMatchObject({ org_id: orgRes.body.id, created_by: { type: 'reseller_key' } })
    const health = await server.api('GET', '/health', { key: plain })
    expect(health.status).toBe(200)
    expect(health.body.key.org_id).toBe(orgRes.body.id)
  })
})

describe.each(engines)('imported prefixes across instances (%s)', (engine) => {
  let dep: Deployment
  afterAll(() => dep.close())

  it('an import on one instance is honoured by another, whose prefixes it did not start with', async () => {
    dep = await deployment(engine)
    // Without a channel (SQLite), imports elsewhere are re-read every key-cache TTL: 2 s here.
    const a = await dep.instance({ env: { PORTICO_KEY_CACHE_TTL: '2' } })
    const b = await dep.instance({ env: { PORTICO_KEY_CACHE_TTL: '2' } })
    const org = await a.createOrg('Two instances')
    const plain = foreignKey('later_')
    expect((await b.api('GET', '/health', { key: plain })).status).toBe(401)
    const res = await a.api('POST', '/keys/import', { key: org.key, body: { hash: sha256(plain), prefix: 'later_', name: 'Seen everywhere' } })
    expect(res.status).toBe(201)
    // PostgreSQL carries the prefix at once; on SQLite the other process re-reads within the key-cache TTL.
    const deadline = Date.now() + (engine === 'postgres' ? 2000 : 5000)
    let status = 0
    while (Date.now() < deadline) {
      status = (await b.api('GET', '/health', { key: plain })).status
      if (status === 200) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(status).toBe(200)
  }, 60_000)
})
