import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'

describe.each(engines)('GET /keys filters and lineage (%s)', (engine) => {
  let server: TestServer
  let org: { orgId: string; key: string }
  let other: { orgId: string; key: string }
  const ids: Record<string, string> = {}

  beforeAll(async () => {
    server = await startServer({ engine })
    org = await server.createOrg('Acme')
    other = await server.createOrg('Globex')
    const mint = async (name: string, extra: Record<string, unknown> = {}) =>
      (await server.api('POST', '/keys', { key: org.key, body: { name, ...extra } })).body as { id: string; prefix: string }
    ids.plain = (await mint('Back-office sync')).id
    ids.soon = (await mint('Nightly 100%_export', { expires_in: '7d' })).id
    ids.later = (await mint('Quarterly report', { expires_in: '90d' })).id
    ids.revoked = (await mint('Old laptop')).id
    await server.api('DELETE', `/keys/${ids.revoked}`, { key: org.key })
    ids.rolled = (await mint('Billing worker')).id
    const rolled = await server.api('POST', `/keys/${ids.rolled}/roll`, { key: org.key, body: { grace_period_seconds: 3600 } })
    ids.successor = rolled.body.id
    ids.expired = (await mint('Trial import')).id
    await server.portico.database.db.updateTable('api_keys').set({ expires_at: new Date(Date.now() - 60_000).toISOString() }).where('id', '=', ids.expired).execute()
    await server.api('POST', '/keys', { key: other.key, body: { name: 'Back-office sync (theirs)' } })
  })
  afterAll(() => server.close())

  const list = async (query: string) => {
    const res = await server.api('GET', `/keys?${query}`, { key: org.key })
    expect(res.status).toBe(200)
    return res.body.data as { id: string; name: string; status: string; rolled_from: string | null; replaced_by?: string | null }[]
  }
  const named = (rows: { id: string }[]) => Object.entries(ids).filter(([, id]) => rows.some((r) => r.id === id)).map(([name]) => name).sort()

  it('filters by status: active includes keys in a grace period, expiring only those that stop within a week', async () => {
    expect(named(await list('status=active'))).toEqual(['later', 'plain', 'rolled', 'soon', 'successor'])
    expect(named(await list('status=expiring'))).toEqual(['rolled', 'soon'])
    expect(named(await list('status=revoked'))).toEqual(['revoked'])
    expect(named(await list('status=expired'))).toEqual(['expired'])
    expect(named(await list('limit=100'))).toHaveLength(Object.keys(ids).length)
  })

  it('refuses a status it does not know instead of ignoring it', async () => {
    const res = await server.api('GET', '/keys?status=bogus', { key: org.key })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('validation_error')
    expect(res.body.error.fields.status).toMatch(/active, expiring, expired, revoked/)
  })

  it('searches names in any case, prefixes and ids, with LIKE wildcards taken literally, within the organisation only', async () => {
    expect(named(await list('q=back-OFFICE'))).toEqual(['plain'])
    expect((await list('q=back-OFFICE')).map((k) => k.name)).toEqual(['Back-office sync'])
    expect(named(await list(`q=${encodeURIComponent('100%_')}`))).toEqual(['soon'])
    expect(named(await list('q=%25'))).toEqual(['soon'])
    expect(named(await list('q=o_d'))).toEqual([])
    const plain = (await list('q=back-office'))[0]!
    const { body } = await server.api('GET', `/keys/${plain.id}`, { key: org.key })
    expect(named(await list(`q=${body.prefix.slice(0, 10)}`))).toContain('plain')
    expect(named(await list(`q=${ids.successor}`))).toEqual(['successor'])
    expect(named(await list('q=billing&status=expiring'))).toEqual(['rolled'])
  })

  it('links a rolled key and its successor both ways, in the list and on the key', async () => {
    const rows = await list('q=billing')
    const old = rows.find((k) => k.id === ids.rolled)!
    const successor = rows.find((k) => k.id === ids.successor)!
    expect(old.replaced_by).toBe(ids.successor)
    expect(successor.rolled_from).toBe(ids.rolled)
    expect(successor.replaced_by).toBeNull()
    const got = await server.api('GET', `/keys/${ids.rolled}`, { key: org.key })
    expect(got.body.replaced_by).toBe(ids.successor)
  })
})
