import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReseller } from '../src/cli.js'
import { esignModule } from '../examples/esign/index.js'
import { directLinkTemplate } from '../examples/esign/testing.js'
import { engines, startServer, type TestServer } from './harness.js'
import { Visitor } from './visitor.js'

/**
 * Suspended means no writes by anyone on the organisation's behalf: its keys are refused (as
 * before), its dashboard users may look but change nothing, and its public pages (signing links,
 * direct links) say it is unavailable and record nothing. Resuming gives everything back.
 */
describe.each(engines)('a suspended organisation (%s)', (engine) => {
  let server: TestServer
  let reseller: string
  let orgId: string
  let owner: Visitor
  let signingUrl: string
  let directUrl: string
  let keyId: string

  const count = async (table: 'api_keys' | 'memberships' | 'invitations' | 'webhook_endpoints' | 'esign_documents' | 'setup_tokens') =>
    Number(((await server.db.handle.db.selectFrom(table as 'api_keys').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()) as { n: number }).n)
  const snapshot = async () => Object.fromEntries(await Promise.all((['api_keys', 'memberships', 'invitations', 'webhook_endpoints', 'esign_documents', 'setup_tokens'] as const).map(async (t) => [t, await count(t)])))
  const setStatus = async (action: 'suspend' | 'resume') =>
    expect((await server.api('POST', `/reseller/organizations/${orgId}/${action}`, { key: reseller })).status).toBe(200)

  beforeAll(async () => {
    server = await startServer({ engine, modules: [esignModule] })
    reseller = (await createReseller(server.db.handle, server.config, 'Partner')).key
    orgId = (await server.api('POST', '/reseller/organizations', { key: reseller, body: { name: 'Late payer' } })).body.id
    const user = await server.api('POST', `/reseller/organizations/${orgId}/users`, { key: reseller, body: { email: `owner.${engine}@late.example`, name: 'Olga', role: 'owner' } })
    owner = new Visitor(server.url)
    await owner.get(user.body.setup_url)
    expect((await owner.post(user.body.setup_url, { password: 'the owners password' })).status).toBe(303)

    const minted = await server.api('POST', `/reseller/organizations/${orgId}/keys`, { key: reseller, body: { name: 'inside', scopes: ['read', 'draft', 'actions', 'admin'] } })
    const key = minted.body.key
    keyId = minted.body.id
    const { doc, url } = await directLinkTemplate(server, key)
    directUrl = url
    signingUrl = (await server.api('POST', `/documents/${doc.id}/send`, { key })).body.recipients[0].signing_url
  })
  afterAll(() => server.close())

  it('its dashboard users read but write nothing, through operations or the dashboard’s own forms', async () => {
    await setStatus('suspend')
    const before = await snapshot()
    const keys = await owner.get('/keys')
    expect(keys.status).toBe(200)
    expect(owner.page).toContain('is suspended')
    const attempts = [
      () => owner.post('/keys', { name: 'new', scopes: 'read', expires_in: 'never' }),
      () => owner.post(`/keys/${keyId}/roll`, { grace_period_seconds: '0' }),
      () => owner.post(`/keys/${keyId}/revoke`, { confirmed: '1' }),
      () => owner.post('/webhooks', { url: 'http://127.0.0.1:9/hook', events_mode: 'all' }),
      () => owner.post('/members', { email: 'new.person@example.com', name: 'New', role: 'member' }),
      () => owner.post('/ai', { name: 'assistant' }),
    ]
    for (const attempt of attempts) {
      await owner.get('/keys')
      const res = await attempt()
      expect(res.status, res.text.slice(0, 300)).toBe(403)
      expect(res.text).toMatch(/suspended/)
    }
    expect(await snapshot()).toEqual(before)
    expect((await server.api('GET', `/reseller/organizations/${orgId}/keys`, { key: reseller })).body.data.find((k: { id: string }) => k.id === keyId).status).toBe('active')
    await setStatus('resume')
  })

  it('its signing and direct-link pages answer that it is unavailable and record nothing', async () => {
    await setStatus('suspend')
    const before = await snapshot()
    for (const [method, url, body] of [
      ['GET', signingUrl, undefined],
      ['GET', `${signingUrl}/document.pdf`, undefined],
      ['POST', signingUrl, new URLSearchParams({ name: 'Sam Signer', action: 'sign', consent: 'yes' })],
      ['GET', directUrl, undefined],
      ['POST', directUrl, new URLSearchParams({ name: 'Walk In', email: 'walk.in@example.com' })],
    ] as const) {
      const res = await fetch(url, { method, body, redirect: 'manual' })
      expect(res.status, `${method} ${url}`).toBe(403)
      expect(await res.text()).toContain('unavailable')
    }
    expect(await snapshot()).toEqual(before)
    const recipient = await server.db.handle.db.selectFrom('esign_recipients' as 'api_keys').selectAll().execute()
    expect(recipient.map((r) => (r as unknown as { status: string }).status).filter((s) => s !== 'PENDING')).toEqual([])

    await setStatus('resume')
    expect((await fetch(signingUrl)).status).toBe(200)
    expect((await fetch(signingUrl, { method: 'POST', body: new URLSearchParams({ name: 'Sam Signer', action: 'sign', consent: 'yes' }) })).status).toBe(200)
    await owner.get('/keys')
    expect((await owner.post('/keys', { name: 'after', scopes: 'read', expires_in: 'never' })).status).toBe(201)
  })
})
