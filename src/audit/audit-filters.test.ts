import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'

describe.each(engines)('GET /audit-log filters (%s)', (engine) => {
  let server: TestServer
  let org: { orgId: string; key: string }
  let other: { orgId: string; key: string }
  let ci: { id: string; key: string; prefix: string }

  beforeAll(async () => {
    server = await startServer({ engine })
    org = await server.createOrg('Acme')
    other = await server.createOrg('Globex')
    ci = (await server.api('POST', '/keys', { key: org.key, body: { name: 'CI pipeline', scopes: ['read', 'admin'] } })).body
    await server.api('DELETE', `/keys/${ci.id}`, { key: org.key })
    await server.api('POST', '/webhooks', { key: org.key, body: { url: 'http://127.0.0.1:9/hook', events: ['*'] } })
    await server.api('POST', '/keys', { key: other.key, body: { name: 'theirs' } })
    // The organisation's creation, moved to last year, to filter by date.
    const db = server.portico.database.db
    await db.updateTable('audit_log').set({ created_at: '2025-03-04T10:00:00.000Z' }).where('org_id', '=', org.orgId).where('action', '=', 'organization.created').execute()
  })
  afterAll(() => server.close())

  const actions = async (query: string) => {
    const res = await server.api('GET', `/audit-log?${query}`, { key: org.key })
    expect(res.status, res.text).toBe(200)
    return (res.body.data as { action: string; created_at: string }[]).map((a) => a.action)
  }

  it('matches the start of the action: api_key finds every api_key.*, wildcards are literal', async () => {
    // The operator's first key, the CI key minted with it, and its revocation.
    expect(await actions('action=api_key')).toEqual(['api_key.revoked', 'api_key.created', 'api_key.created'])
    expect(await actions('action=api_key.revoked')).toEqual(['api_key.revoked'])
    expect(await actions('action=webhook')).toEqual(['webhook.created'])
    expect(await actions('action=org')).toEqual(['organization.created'])
    expect(await actions('action=%25')).toEqual([])
    expect(await actions('action=ap_')).toEqual([])
  })

  it("filters by actor: part of the label in any case, or the actor's id", async () => {
    const [latest] = (await server.api('GET', '/audit-log?limit=1', { key: org.key })).body.data as { actor: { id: string; label: string } }[]
    expect(latest!.actor.label).toMatch(/^First key \(ptk_/)
    const byKey = ['webhook.created', 'api_key.revoked', 'api_key.created']
    expect(await actions('actor=FIRST%20KEY')).toEqual(byKey)
    expect(await actions(`actor=${latest!.actor.label.slice(11, 19)}`)).toEqual(byKey)
    expect(await actions(`actor=${latest!.actor.id}`)).toEqual(byKey)
    expect(await actions('actor=operator')).toEqual(['api_key.created', 'organization.created'])
    expect(await actions('actor=nobody-like-this')).toEqual([])
  })

  it('filters by a date range, days meaning whole days, and refuses a range that ends before it starts', async () => {
    expect(await actions('from=2025-03-04&to=2025-03-04')).toEqual(['organization.created'])
    expect(await actions('to=2025-12-31')).toEqual(['organization.created'])
    expect(await actions('from=2025-03-05')).toHaveLength(4)
    expect(await actions('from=2025-03-04T10:00:00Z&to=2025-03-04T10:00:01%2B00:00')).toEqual(['organization.created'])
    const bad = await server.api('GET', '/audit-log?from=2026-02-01&to=2026-01-01', { key: org.key })
    expect(bad.status).toBe(400)
    expect(bad.body.error.fields.to).toBe('must be after from')
    expect((await server.api('GET', '/audit-log?from=yesterday', { key: org.key })).status).toBe(400)
  })

  it("never shows another organisation's entries, whatever the filter", async () => {
    expect(await actions('actor=theirs')).toEqual([])
    expect(await actions('action=api_key')).toHaveLength(3)
  })
})
