import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'

describe.each(engines)('API keys over HTTP (%s)', (engine) => {
  let server: TestServer
  let org: { orgId: string; key: string }
  let other: { orgId: string; key: string }

  beforeAll(async () => {
    server = await startServer({ engine })
    org = await server.createOrg('Acme')
    other = await server.createOrg('Globex')
  })
  afterAll(() => server.close())

  const mint = (key: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
    server.api('POST', '/keys', { key, body, ...(headers ? { headers } : {}) })

  it('mints a key shown once, then lists and gets it without the secret', async () => {
    const res = await mint(org.key, { name: 'Back-office sync', scopes: ['read', 'draft'], expires_in: '30d' })
    expect(res.status).toBe(201)
    expect(res.body.key).toMatch(/^ptk_[0-9A-Za-z]{48}$/)
    expect(res.body.prefix).toBe(res.body.key.slice(0, 12))
    expect(res.body.scopes).toEqual(['read', 'draft'])
    expect(res.body.org_id).toBe(org.orgId)
    const days = (Date.parse(res.body.expires_at) - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(29.9)
    expect(days).toBeLessThan(30.1)

    const list = await server.api('GET', '/keys', { key: org.key })
    expect(list.status).toBe(200)
    expect(list.text).not.toContain(res.body.key)
    expect(list.body.data.map((k: { id: string }) => k.id)).toContain(res.body.id)
    expect(list.body.data.every((k: Record<string, unknown>) => !('key' in k) && !('hash' in k))).toBe(true)

    const got = await server.api('GET', `/keys/${res.body.id}`, { key: org.key })
    expect(got.status).toBe(200)
    expect(got.text).not.toContain(res.body.key)
    expect(got.body.prefix).toBe(res.body.prefix)

    // The new key works, and its scopes are its own.
    const health = await server.api('GET', '/health', { key: res.body.key })
    expect(health.status).toBe(200)
    expect(health.body.key).toMatchObject({ id: res.body.id, scopes: ['read', 'draft'], org_id: org.orgId })
  })

  it('never stores the full key: no stored row of any table contains it', async () => {
    const { body } = await mint(org.key, { name: 'scan me' })
    const db = server.portico.database.db
    const tables = ['api_keys', 'audit_log', 'events', 'idempotency_keys', 'organizations']
    for (const table of tables) {
      const rows = await db.selectFrom(table as 'api_keys').selectAll().execute()
      expect(JSON.stringify(rows)).not.toContain(body.key)
      expect(JSON.stringify(rows)).not.toContain(body.key.slice(4))
    }
    const row = await db.selectFrom('api_keys').selectAll().where('id', '=', body.id).executeTakeFirstOrThrow()
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('defaults scopes to read and refuses scopes the caller lacks', async () => {
    const readOnly = await mint(org.key, { name: 'reader' })
    expect(readOnly.body.scopes).toEqual(['read'])

    const admin = (await mint(org.key, { name: 'half admin', scopes: ['admin', 'read'] })).body.key
    const escalate = await mint(admin, { name: 'more', scopes: ['read', 'actions'] })
    expect(escalate.status).toBe(403)
    expect(escalate.body.error.code).toBe('insufficient_scope')
    expect(escalate.body.error.message).toContain('actions')

    const keyId = readOnly.body.id
    const patch = await server.api('PATCH', `/keys/${keyId}`, { key: admin, body: { scopes: ['draft'] } })
    expect(patch.status).toBe(403)
    expect(patch.body.error.code).toBe('insufficient_scope')
  })

  it('answers validation errors with fields', async () => {
    const res = await mint(org.key, { name: '', scopes: ['superuser'], expires_in: '2d' })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('validation_error')
    expect(Object.keys(res.body.error.fields).sort()).toEqual(['expires_in', 'name', 'scopes[0]'])
    const past = await mint(org.key, { name: 'x', expires_at: '2020-01-01T00:00:00Z' })
    expect(past.body.error.fields).toHaveProperty('expires_at')
  })

  it('revokes at once: the next request with the key is 403 api_key_revoked', async () => {
    const { body } = await mint(org.key, { name: 'to revoke' })
    expect((await server.api('GET', '/health', { key: body.key })).status).toBe(200)
    const revoked = await server.api('DELETE', `/keys/${body.id}`, { key: org.key })
    expect(revoked.status).toBe(200)
    expect(revoked.body.status).toBe('revoked')
    expect(revoked.body.revoked_at).not.toBeNull()
    const after = await server.api('GET', '/health', { key: body.key })
    expect(after.status).toBe(403)
    expect(after.body.error.code).toBe('api_key_revoked')
    // Revoking again is harmless and keeps the first revocation time.
    const again = await server.api('DELETE', `/keys/${body.id}`, { key: org.key })
    expect(again.body.revoked_at).toBe(revoked.body.revoked_at)
  })

  it('rolls with a grace period: both keys work until it ends, then the old one is revoked', async () => {
    const { body: old } = await mint(org.key, { name: 'rolling', scopes: ['read', 'admin'] })
    const rolled = await server.api('POST', `/keys/${old.id}/roll`, { key: org.key, body: { grace_period_seconds: 2 } })
    expect(rolled.status).toBe(201)
    expect(rolled.body.rolled_from).toBe(old.id)
    expect(rolled.body.id).not.toBe(old.id)
    expect(rolled.body.key).toMatch(/^ptk_/)
    expect(rolled.body.scopes).toEqual(['read', 'admin'])
    const oldView = await server.api('GET', `/keys/${old.id}`, { key: org.key })
    expect(Date.parse(oldView.body.revoked_at)).toBeGreaterThan(Date.now())
    expect((await server.api('GET', '/health', { key: old.key })).status).toBe(200)
    expect((await server.api('GET', '/health', { key: rolled.body.key })).status).toBe(200)
    await new Promise((r) => setTimeout(r, 2100))
    const late = await server.api('GET', '/health', { key: old.key })
    expect(late.status).toBe(403)
    expect(late.body.error.code).toBe('api_key_revoked')
    expect((await server.api('GET', '/health', { key: rolled.body.key })).status).toBe(200)
  })

  it('rolls with no grace period: the old key is revoked at once', async () => {
    const { body: old } = await mint(org.key, { name: 'roll now' })
    const rolled = await server.api('POST', `/keys/${old.id}/roll`, { key: org.key })
    expect(rolled.status).toBe(201)
    expect((await server.api('GET', '/health', { key: old.key })).body.error.code).toBe('api_key_revoked')
    const twice = await server.api('POST', `/keys/${old.id}/roll`, { key: org.key })
    expect(twice.status).toBe(409)
  })

  it("answers 404 for another organisation's key id, on every key route", async () => {
    const { body: theirs } = await mint(other.key, { name: 'theirs' })
    for (const [method, path, body] of [
      ['GET', `/keys/${theirs.id}`, undefined],
      ['PATCH', `/keys/${theirs.id}`, { name: 'mine now' }],
      ['DELETE', `/keys/${theirs.id}`, undefined],
      ['POST', `/keys/${theirs.id}/roll`, {}],
    ] as const) {
      const res = await server.api(method, path, { key: org.key, body })
      expect(res.status, `${method} ${path}`).toBe(404)
      expect(res.body.error.code).toBe('not_found')
    }
    expect((await server.api('GET', '/health', { key: theirs.key })).status).toBe(200)
    const list = await server.api('GET', '/keys?limit=100', { key: org.key })
    expect(list.body.data.some((k: { id: string }) => k.id === theirs.id)).toBe(false)
  })

  it('replays an idempotent mint without the secret, and refuses the key with another body', async () => {
    const headers = { 'Idempotency-Key': `mint-${engine}-1` }
    const first = await mint(org.key, { name: 'idempotent' }, headers)
    expect(first.status).toBe(201)
    expect(first.body.key).toMatch(/^ptk_/)
    const replay = await mint(org.key, { name: 'idempotent' }, headers)
    expect(replay.status).toBe(201)
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    expect(replay.body.id).toBe(first.body.id)
    expect(replay.body.key).toBeNull()
    const other = await mint(org.key, { name: 'something else' }, headers)
    expect(other.status).toBe(409)
    expect(other.body.error.code).toBe('idempotency_key_reused')
    const list = await server.api('GET', '/keys?limit=100', { key: org.key })
    expect(list.body.data.filter((k: { name: string }) => k.name === 'idempotent')).toHaveLength(1)
  })

  it('paginates with a cursor', async () => {
    const fresh = await server.createOrg('Paged')
    for (let i = 0; i < 4; i++) await mint(fresh.key, { name: `k${i}` })
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res: { body: { data: { id: string }[]; next_cursor: string | null } } = await server.api(
        'GET',
        `/keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { key: fresh.key },
      )
      expect(res.body.data.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.data.map((k) => k.id))
      cursor = res.body.next_cursor
    } while (cursor)
    expect(seen).toHaveLength(5)
    expect(new Set(seen).size).toBe(5)
    const bad = await server.api('GET', '/keys?cursor=nonsense', { key: fresh.key })
    expect(bad.status).toBe(400)
  })

  it('records mint, roll and revoke in the audit log with who and from where', async () => {
    const { body } = await mint(org.key, { name: 'audited' })
    await server.api('DELETE', `/keys/${body.id}`, { key: org.key, headers: { 'user-agent': 'audit-test' } })
    const log = await server.api('GET', '/audit-log?limit=100', { key: org.key })
    expect(log.status).toBe(200)
    const revoked = log.body.data.find((e: { action: string; target: { id: string } }) => e.action === 'api_key.revoked' && e.target.id === body.id)
    expect(revoked.actor.type).toBe('org_key')
    expect(revoked.actor.label).toContain(org.key.slice(0, 12))
    expect(revoked.actor.label).not.toContain(org.key)
    expect(revoked.ip).toBe('127.0.0.1')
    expect(revoked.user_agent).toBe('audit-test')
    expect(log.body.data.some((e: { action: string }) => e.action === 'api_key.created')).toBe(true)
    expect(log.text).not.toContain(org.key)
  })

  it('moves last_used_at in batches, only for authenticated requests', async () => {
    const { body } = await mint(org.key, { name: 'used' })
    expect(body.last_used_at).toBeNull()
    await server.api('GET', '/health', { key: body.key })
    // The tracker flushes on a timer; flush now rather than wait.
    await server.portico.flushLastUsed()
    const got = await server.api('GET', `/keys/${body.id}`, { key: org.key })
    expect(got.body.last_used_at).not.toBeNull()
  })
})

describe('idempotency under concurrency', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server.close())

  it('of concurrent requests with one Idempotency-Key, exactly one mints', async () => {
    const { key } = await server.createOrg()
    const headers = { 'Idempotency-Key': 'race-1' }
    const results = await Promise.all(
      Array.from({ length: 8 }, () => server.api('POST', '/keys', { key, body: { name: 'raced' }, headers })),
    )
    const minted = results.filter((r) => r.status === 201 && r.body.key)
    expect(minted).toHaveLength(1)
    for (const r of results) expect([201, 409]).toContain(r.status)
    const list = await server.api('GET', '/keys?limit=100', { key })
    expect(list.body.data.filter((k: { name: string }) => k.name === 'raced')).toHaveLength(1)
  })
})
