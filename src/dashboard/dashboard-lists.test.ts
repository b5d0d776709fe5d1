import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../../test/harness.js'
import { startReceiver, waitFor } from '../../test/webhook-receiver.js'
import { Visitor } from '../../test/visitor.js'

/** The dashboard's lists as a person uses them: filters in the address, lineage, editing, the delivery log. */
describe('dashboard lists over HTTP', () => {
  let server: TestServer
  let owner: Visitor
  let receiver: Awaited<ReturnType<typeof startReceiver>>
  let key: string
  const rows = (page: string) => [...page.matchAll(/<a class="name" href="[^"]+">([^<]+)<\/a>/g)].map((m) => m[1])

  beforeAll(async () => {
    receiver = await startReceiver(() => ({ status: 202, body: 'queued: thanks' }))
    server = await startServer({ startBackground: true })
    const link = (await server.portico.firstRunLink())!
    owner = new Visitor(server.url)
    await owner.get(link)
    expect((await owner.post(link, { org: 'Acme', name: 'Olive Owner', email: 'olive@acme.example', password: 'a long owner password' })).status).toBe(303)
    await owner.get('/keys')
    const minted = await owner.post('/keys', { name: 'Admin key', scopes: ['read', 'admin'], expires_in: 'never' })
    key = /ptk_[0-9A-Za-z]{48}/.exec(minted.text)![0]
    const api = (method: string, path: string, body?: unknown) => server.api(method, path, { key, body })
    const gone = (await api('POST', '/keys', { name: 'Old laptop' })).body
    await api('DELETE', `/keys/${gone.id}`)
    const billing = (await api('POST', '/keys', { name: 'Billing worker' })).body
    await api('POST', `/keys/${billing.id}/roll`, { grace_period_seconds: 3600 })
  })
  afterAll(async () => {
    await server.close()
    await receiver.close()
  })

  it('keys: revoked keys are hidden until asked for; search; a roll links its two keys', async () => {
    const page = (await owner.get('/keys')).text
    expect(rows(page).sort()).toEqual(['Admin key', 'Billing worker', 'Billing worker'])
    expect(page).toMatch(/replaced by <a href="\/keys\?status=all&amp;q=[0-9a-f-]{36}"><code>ptk_/)
    expect(page).toMatch(/replaces <a href="\/keys\?status=all&amp;q=[0-9a-f-]{36}"><code>ptk_/)
    expect(page).toMatch(/<span class="badge expired" title="The old key of a roll; it stops at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC">ends in (59 min|1 h)<\/span>/)
    expect(page).toMatch(/<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC">just now<\/time>/)
    expect(rows((await owner.get('/keys?status=revoked')).text)).toEqual(['Old laptop'])
    expect(rows((await owner.get('/keys?status=expiring')).text)).toEqual(['Billing worker'])
    expect(rows((await owner.get('/keys?status=all')).text)).toHaveLength(4)
    const searched = (await owner.get('/keys?status=all&q=LAPTOP')).text
    expect(rows(searched)).toEqual(['Old laptop'])
    expect((await owner.get('/keys?q=nothing-like-it')).text).toContain('No active keys match “nothing-like-it”.')
  })

  it('audit log: an event prefix, an actor and dates', async () => {
    const page = (await owner.get('/audit?action=api_key&actor=olive')).text
    const actions = [...page.matchAll(/<td data-label="What"><code>([^<]+)<\/code>/g)].map((m) => m[1])
    expect(actions).toEqual(['api_key.created'])
    const byKey = (await owner.get('/audit?action=api_key&actor=admin%20key')).text
    // The roll and the successor it minted (one transaction, one timestamp: in either order), then
    // Billing worker, Old laptop's revocation and creation.
    const byKeyActions = [...byKey.matchAll(/<td data-label="What"><code>([^<]+)<\/code>/g)].map((m) => m[1])
    expect(byKeyActions.slice(0, 2).sort()).toEqual(['api_key.created', 'api_key.rolled'])
    expect(byKeyActions.slice(2)).toEqual(['api_key.created', 'api_key.revoked', 'api_key.created'])
    expect((await owner.get('/audit?from=2001-01-01&to=2001-01-02')).text).toContain('No entries match this filter.')
    const refused = await owner.get('/audit?from=2002-01-01&to=2001-01-01')
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('must be after from')
  })

  it('webhooks: search by part of the URL or an event name, as the keys list searches', async () => {
    const api = (body: unknown) => server.api('POST', '/webhooks', { key, body })
    await api({ url: 'http://127.0.0.1:9/warehouse/sync', events: ['api_key.leaked'] })
    await api({ url: 'http://127.0.0.1:9/ledger', events: ['api_key.expiring', 'webhook.disabled'] })
    const urls = (text: string) => [...text.matchAll(/<a href="\/webhooks\/[0-9a-f-]{36}">([^<]+)<\/a>/g)].map((m) => m[1])
    const list = await owner.get('/webhooks')
    expect(list.text).toContain('<form method="get" action="/webhooks" class="search" role="search">')
    expect(list.text).toContain('<input id="webhook-search" type="search" name="q" value="" maxlength="100"')
    expect(urls(list.text)).toEqual(expect.arrayContaining(['http://127.0.0.1:9/warehouse/sync', 'http://127.0.0.1:9/ledger']))

    const byUrl = await owner.get('/webhooks?q=WAREHOUSE')
    expect(urls(byUrl.text)).toEqual(['http://127.0.0.1:9/warehouse/sync'])
    expect(byUrl.text).toContain('value="WAREHOUSE"')
    expect(byUrl.text).toContain('<a href="/webhooks">Clear</a>')
    expect(urls((await owner.get('/webhooks?q=expiring')).text)).toEqual(['http://127.0.0.1:9/ledger'])
    expect(urls((await owner.get('/webhooks?q=api_key.leaked')).text)).toEqual(['http://127.0.0.1:9/warehouse/sync'])
    const none = await owner.get('/webhooks?q=nothing-like-it')
    expect(none.status).toBe(200)
    expect(none.text).toContain('No endpoints match “nothing-like-it”.')
    // The add form stays folded under a search that found nothing: the list is not empty.
    expect(none.text).toContain('<details class="card"><summary>Add endpoint</summary>')
  })

  it('members: search and filters', async () => {
    await owner.get('/members')
    await owner.post('/members', { name: 'Ada Admin', email: 'ada@acme.example', role: 'admin' })
    const names = (text: string) => [...text.matchAll(/<th scope="row">([^<]+)/g)].map((m) => m[1]!.trim())
    expect(names((await owner.get('/members?q=ADA')).text)).toEqual(['Ada Admin'])
    expect(names((await owner.get('/members?status=active')).text)).toEqual(['Olive Owner'])
    expect(names((await owner.get('/members?role=admin&status=invited')).text)).toEqual(['Ada Admin'])
    expect((await owner.get('/members?q=zzz')).text).toContain('No members match this filter.')
  })

  it('webhooks: edit the URL and events; a delivery shows its payload and what the endpoint answered', async () => {
    await owner.get('/webhooks')
    expect((await owner.post('/webhooks', { url: 'http://127.0.0.1:9/nowhere', events_mode: 'all' })).status).toBe(201)
    const hookId = /action="\/webhooks\/([0-9a-f-]{36})\/edit"/.exec(owner.page)![1]!
    const refused = await owner.post(`/webhooks/${hookId}/edit`, { url: 'ftp://nope', description: 'Orders', events_mode: 'some', events: ['api_key.created'] })
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('Could not save the endpoint')
    expect(refused.text).toContain('value="ftp://nope"')
    const saved = await owner.post(`/webhooks/${hookId}/edit`, { url: receiver.url, description: 'Orders', events_mode: 'some', events: ['api_key.created', 'webhook.disabled'] })
    expect(saved.status).toBe(200)
    expect(saved.text).toContain('Endpoint saved')
    const hook = (await server.api('GET', `/webhooks/${hookId}`, { key })).body
    expect(hook).toMatchObject({ url: receiver.url, description: 'Orders', events: ['api_key.created', 'webhook.disabled'] })
    expect(saved.text).toMatch(/value="api_key.created" checked/)

    await server.api('POST', '/keys', { key, body: { name: 'Announced' } })
    await waitFor(() => receiver.received.length > 0)
    const deliveryLink = new RegExp(`href="(/webhooks/${hookId}/deliveries/[0-9a-f-]{36})"`)
    await waitFor(async () => /<span class="badge succeeded">/.test((await owner.get(`/webhooks/${hookId}`)).text))
    const delivery = await owner.get(deliveryLink.exec(owner.page)![1]!)
    expect(delivery.text).toContain('Request payload')
    expect(delivery.text).toContain('&quot;type&quot;: &quot;api_key.created&quot;')
    expect(delivery.text).toContain('&quot;name&quot;: &quot;Announced&quot;')
    expect(delivery.text).toContain('<td data-label="Response">202</td>')
    expect(delivery.text).toContain('<pre>queued: thanks</pre>')
  })
})
