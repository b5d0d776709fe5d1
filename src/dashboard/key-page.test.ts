import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { Visitor } from '../../test/visitor.js'

describe.each(engines)('dashboard: key metadata, credits and allow-list (%s)', (engine) => {
  let server: TestServer
  let owner: Visitor
  let adminKey: string

  beforeAll(async () => {
    server = await startServer({ engine })
    const link = (await server.portico.firstRunLink())!
    owner = new Visitor(server.url)
    await owner.get(link)
    expect((await owner.post(link, { org: 'Acme', name: 'Olive Owner', email: 'owner@acme.example', password: 'a long owner password' })).status).toBe(303)
    // An admin key of the same organisation, minted through the form, to read what the forms did through the API.
    await owner.get('/keys')
    const res = await owner.post('/keys', { name: 'API admin', scopes: ['read', 'admin'], expires_in: 'never' })
    adminKey = /ptk_[0-9A-Za-z]{48}/.exec(res.text)![0]
  })
  afterAll(() => server.close())

  const keyNamed = async (name: string) => {
    const list = await server.api('GET', '/keys?limit=100', { key: adminKey })
    return list.body.data.find((k: { name: string }) => k.name === name)
  }

  it('mints with metadata, credits, a refill and an allow-list, and lists credits and "expires in"', async () => {
    await owner.get('/keys')
    const res = await owner.post('/keys', {
      name: 'Metered',
      scopes: ['read'],
      expires_in: '30d',
      meta: '{"plan": "pro"}',
      credits_remaining: '500',
      refill_interval: 'monthly',
      refill_amount: '1000',
      allowed_ips: '203.0.113.0/24\n2001:db8::/32',
    })
    expect(res.status).toBe(201)
    const k = await keyNamed('Metered')
    expect(k).toMatchObject({ meta: { plan: 'pro' }, credits: { remaining: 500, refill: { amount: 1000, interval: 'monthly' } }, allowed_ips: ['203.0.113.0/24', '2001:db8::/32'] })
    const list = await owner.get('/keys')
    expect(list.text).toContain('Expires in')
    expect(list.text).toContain('Credits')
    expect(list.text).toMatch(/29 days|30 days/)
    expect(list.text).toContain('500')
    expect(list.text).toContain('unlimited')
  })

  it('shows a key\'s limits and credits on its page, and its edit form changes them', async () => {
    const k = await keyNamed('Metered')
    const page = await owner.get(`/keys/${k.id}`)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Rate limits')
    expect(page.text).toMatch(/general<\/code>[\s\S]*300 per 60 s/)
    expect(page.text).toContain('<strong>500</strong> remaining')
    expect(page.text).toContain('203.0.113.0/24')

    // The balance left as shown is not set again; the rest is replaced.
    expect(owner.token('credits_shown')).toBe('500|1000/monthly')
    const saved = await owner.post(`/keys/${k.id}`, { name: 'Metered', meta: '{"plan": "team"}', credits_shown: owner.token('credits_shown'), credits_remaining: '500', refill_interval: 'monthly', refill_amount: '1000', allowed_ips: '' })
    expect(saved.status).toBe(200)
    expect(saved.text).toContain('Saved.')
    const row = await server.db.handle.db.selectFrom('api_key_credits').select('version').where('key_id', '=', k.id).executeTakeFirstOrThrow()
    expect(row.version).toBe(1)
    expect(await keyNamed('Metered')).toMatchObject({ meta: { plan: 'team' }, allowed_ips: null, credits: { remaining: 500 } })

    await owner.get(`/keys/${k.id}`)
    await owner.post(`/keys/${k.id}`, { name: 'Metered', meta: '', credits_remaining: '7', refill_interval: 'none', refill_amount: '', allowed_ips: '198.51.100.7' })
    expect(await keyNamed('Metered')).toMatchObject({ meta: {}, allowed_ips: ['198.51.100.7'], credits: { remaining: 7, refill: null } })

    await owner.get(`/keys/${k.id}`)
    await owner.post(`/keys/${k.id}`, { name: 'Metered', meta: '', credits_remaining: '', refill_interval: 'none', allowed_ips: '' })
    expect((await keyNamed('Metered')).credits).toBeNull()
  })

  it('refuses metadata that is not a JSON object, or an invalid CIDR, naming the problem and changing nothing', async () => {
    const k = await keyNamed('Metered')
    await owner.get(`/keys/${k.id}`)
    const badJson = await owner.post(`/keys/${k.id}`, { name: 'Metered', meta: '{plan: pro}', credits_remaining: '', refill_interval: 'none', allowed_ips: '' })
    expect(badJson.status).toBe(400)
    expect(badJson.text).toContain('meta is not valid JSON')
    await owner.get(`/keys/${k.id}`)
    const badIp = await owner.post(`/keys/${k.id}`, { name: 'Metered', meta: '', credits_remaining: '', refill_interval: 'none', allowed_ips: '10.0.0.0/33' })
    expect(badIp.status).toBe(400)
    expect(badIp.text).toContain('not an IPv4 or IPv6 address or CIDR block')
    await owner.get('/keys')
    const mintBad = await owner.post('/keys', { name: 'Bad', scopes: ['read'], expires_in: 'never', meta: '[1]' })
    expect(mintBad.status).toBe(400)
    expect(await keyNamed('Bad')).toBeUndefined()
  })

  it("another organisation's key page is 404", async () => {
    const other = await server.createOrg('Globex')
    const theirs = await server.api('POST', '/keys', { key: other.key, body: { name: 'theirs' } })
    expect((await owner.get(`/keys/${theirs.body.id}`)).status).toBe(404)
  })
})
