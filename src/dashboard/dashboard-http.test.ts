import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditWriter } from '../audit/audit-writer.js'
import { runInTransaction, systemMeta } from '../core/transaction.js'
import { TransactionalOutbox } from '../events/outbox.js'
import { Dispatcher } from '../webhooks/dispatcher.js'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { Visitor } from '../../test/visitor.js'

const KEY = /ptk_[0-9A-Za-z]{48}/

describe.each(engines)('dashboard over HTTP (%s)', (engine) => {
  let server: TestServer
  let owner: Visitor
  const credentials = { email: 'owner@acme.example', password: 'a long owner password' }

  beforeAll(async () => {
    server = await startServer({ engine })
    // First run: two submissions race for the one link; exactly one creates the organisation.
    const link = (await server.portico.firstRunLink())!
    const racers = [new Visitor(server.url), new Visitor(server.url)]
    for (const r of racers) await r.get(link)
    const form = { org: 'Acme', name: 'Olive Owner', ...credentials }
    const answers = await Promise.all(racers.map((r) => r.post(link, form)))
    expect(answers.map((a) => a.status).sort()).toEqual([303, 410])
    owner = racers[answers.findIndex((a) => a.status === 303)]!
  })
  afterAll(() => server.close())

  it('first run: works once, then the link and any new one are gone', async () => {
    expect((await new Visitor(server.url).get('/keys')).location).toBe('/login?next=%2Fkeys')
    expect((await owner.get('/keys')).status).toBe(200)
    expect(owner.page).toContain('Acme')
    expect(await server.portico.firstRunLink()).toBeUndefined()
    const orgs = await server.db.handle.db.selectFrom('organizations').select('name').execute()
    expect(orgs).toEqual([{ name: 'Acme' }])
  })

  it('first run: a link printed before an organisation was made some other way no longer works', async () => {
    const other = await startServer({ engine })
    try {
      const link = (await other.portico.firstRunLink())!
      await other.createOrg('Made with the CLI')
      expect((await new Visitor(other.url).get(link)).status).toBe(410)
    } finally {
      await other.close()
    }
  })

  it('sessions: HttpOnly, SameSite=Lax cookies holding a token stored only as its hash; sign-out ends them', async () => {
    const visitor = new Visitor(server.url)
    await visitor.get('/login')
    const signIn = await visitor.post('/login', credentials)
    expect(signIn.status).toBe(303)
    const cookie = signIn.headers.getSetCookie().find((c) => c.startsWith('portico_session='))!
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Lax/)
    expect(cookie).toMatch(/Path=\//)
    expect(cookie).not.toMatch(/Secure/) // plain http here
    const token = visitor.cookies.get('portico_session')!
    const rows = await server.db.handle.db.selectFrom('sessions').select('token_hash').execute()
    expect(rows.map((r) => r.token_hash)).toContain(createHash('sha256').update(token).digest('hex'))
    expect(JSON.stringify(rows)).not.toContain(token)

    await visitor.get('/keys')
    expect((await visitor.post('/logout')).location).toBe('/login')
    visitor.cookies.set('portico_session', token) // the old cookie, replayed
    expect((await visitor.get('/keys')).status).toBe(302)
  })

  it('sessions: behind HTTPS, __Host- cookies marked Secure', async () => {
    const https = await startServer({ engine, env: { PORTICO_PUBLIC_URL: 'https://portico.example' } })
    try {
      const res = await fetch(`${https.url}/login`)
      const cookie = res.headers.getSetCookie()[0]!
      expect(cookie).toMatch(/^__Host-portico_csrf=/)
      expect(cookie).toMatch(/Secure/)
      expect(cookie).toMatch(/HttpOnly/)
    } finally {
      await https.close()
    }
  })

  it('mint: the key is in the one answer, never cached; a resent form mints nothing; lists never hold it', async () => {
    await owner.get('/keys')
    const form = { name: 'Once only', scopes: ['read', 'draft'], expires_in: '7d' }
    const rendering = { _csrf: owner.token('_csrf'), _once: owner.token('_once') }
    const minted = await owner.post('/keys', form)
    expect(minted.status).toBe(201)
    expect(minted.headers.get('cache-control')).toBe('no-store')
    expect(minted.headers.get('content-security-policy')).toContain("script-src 'self'")
    const key = KEY.exec(minted.text)![0]
    expect((await server.api('GET', '/health', { key })).body.key.scopes).toEqual(['read', 'draft'])

    // The same rendering of the form sent again (a reload of the answer, a double click).
    const again = await owner.request('/keys', { form: { ...rendering, ...form } })
    expect(again.text).not.toMatch(KEY)
    expect(again.text).toContain('already sent')
    const rows = await server.db.handle.db.selectFrom('api_keys').select('name').where('name', '=', 'Once only').execute()
    expect(rows).toHaveLength(1)

    const list = await owner.get('/keys')
    expect(list.text).not.toContain(key.slice(4))
    expect(list.text).toContain(key.slice(0, 12))
  })

  it('import: keys by their SHA-256, one a line; they then work with their plaintext, and a leak revocation shows why', async () => {
    const plains = ['legacy_one_' + 'x'.repeat(20), 'legacy_two_' + 'y'.repeat(20)]
    const sha = (s: string) => createHash('sha256').update(s).digest('hex')
    await owner.get('/keys')
    const bad = await owner.post('/keys/import', { keys: `${sha(plains[0]!)} legacy_`, scopes: ['read'] })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('Line 1')
    await owner.get('/keys')
    const lines = plains.map((p, i) => `${sha(p)} legacy_ Legacy ${i + 1}`).join('\n')
    const res = await owner.post('/keys/import', { keys: lines, scopes: ['read'] })
    expect(res.status, res.text.slice(0, 500)).toBe(201)
    expect(res.text).toContain('Imported 2 keys')
    expect(res.text).toContain('imported')
    for (const p of plains) expect((await fetch(`${server.url}/api/v1/health`, { headers: { authorization: `Bearer ${p}` } })).status).toBe(200)
    // A leak report's revocation (tested in src/keys/leak-reports.test.ts) is marked as such in the list.
    await server.portico.database.db.updateTable('api_keys').set({ revoked_at: new Date().toISOString(), revoked_reason: 'leaked' }).where('hash', '=', sha(plains[0]!)).execute()
    expect((await owner.get('/keys?status=revoked')).text).toContain('revoked: leaked')
    const { id } = await server.portico.database.db.selectFrom('api_keys').select('id').where('hash', '=', sha(plains[0]!)).executeTakeFirstOrThrow()
    const keyPage = (await owner.get(`/keys/${id}`)).text
    expect(keyPage).toContain('a secret-scanning report found it in public')
    expect(keyPage).toContain('imported from another system')
  })

  it('revoke: without scripts, a confirmation page first; then the key answers 403 api_key_revoked', async () => {
    await owner.get('/keys')
    const key = KEY.exec((await owner.post('/keys', { name: 'To revoke', scopes: 'read', expires_in: 'never' })).text)![0]
    const id = (await server.api('GET', '/health', { key })).body.key.id as string
    const ask = await owner.post(`/keys/${id}/revoke`)
    expect(ask.status).toBe(200)
    expect(ask.text).toContain('Revoke “To revoke”?')
    expect((await server.api('GET', '/health', { key })).status).toBe(200)
    const done = await owner.post(`/keys/${id}/revoke`, { confirmed: '1' })
    expect(done.text).toContain('Revoked “To revoke”')
    const refused = await server.api('GET', '/health', { key })
    expect([refused.status, refused.body.error.code]).toEqual([403, 'api_key_revoked'])
  })

  it('CSRF: a form post without the session token, or with another, is refused and changes nothing', async () => {
    await owner.get('/keys')
    const key = KEY.exec((await owner.post('/keys', { name: 'Guarded', scopes: 'read', expires_in: 'never' })).text)![0]
    const id = (await server.api('GET', '/health', { key })).body.key.id as string
    const before = await server.db.handle.db.selectFrom('api_keys').select('id').execute()
    for (const path of ['/keys', `/keys/${id}/revoke`, `/keys/${id}/roll`, '/members', '/webhooks', '/ai', '/org', '/logout']) {
      for (const _csrf of ['', 'forged-token-forged-token-forged-to']) {
        const res = await owner.request(path, { form: { _csrf, confirmed: '1', name: 'x', email: 'x@example.com', role: 'owner', scopes: 'read', url: 'http://127.0.0.1:1/' } })
        expect(res.status, `${path} with "${_csrf}"`).toBe(403)
      }
    }
    expect(await server.db.handle.db.selectFrom('api_keys').select('id').execute()).toHaveLength(before.length)
    expect((await server.api('GET', '/health', { key })).status).toBe(200)
    expect((await owner.get('/keys')).status).toBe(200) // still signed in
  })

  it('members see every page with their read scope, and change nothing, whatever they post', async () => {
    await owner.get('/members')
    const invited = await owner.post('/members', { name: 'Mel Member', email: 'Mel@Acme.example', role: 'member' })
    expect(invited.status).toBe(201)
    const link = /value="(http[^"]+\/setup\/[^"]+)"/.exec(invited.text)![1]!
    const member = new Visitor(server.url)
    await member.get(link)
    expect((await member.post(link, { password: 'short' })).status).toBe(400)
    expect((await member.post(link, { password: 'member password' })).location).toBe('/keys')
    expect((await new Visitor(server.url).get(link)).status).toBe(410) // once

    for (const page of ['/keys', '/members', '/webhooks', '/usage', '/audit', '/ai']) {
      const res = await member.get(page)
      expect(res.status, page).toBe(200)
      expect(res.text).toContain('Member')
    }
    await owner.get('/keys')
    const key = KEY.exec((await owner.post('/keys', { name: 'Not for members', scopes: 'read', expires_in: 'never' })).text)![0]
    const id = (await server.api('GET', '/health', { key })).body.key.id as string
    const count = async () => (await server.db.handle.db.selectFrom('api_keys').select('id').execute()).length
    const keysBefore = await count()
    // `read` lists no keys (keys.list needs admin), as a read key would be refused it.
    await member.get('/keys')
    expect(member.page).not.toContain('Not for members')
    expect(member.page).toContain('admin scope')
    for (const [path, fields] of [
      ['/keys', { name: 'sneaky', scopes: 'read', expires_in: 'never' }],
      [`/keys/${id}/revoke`, { confirmed: '1' }],
      [`/keys/${id}/roll`, { grace_period_seconds: '0' }],
      ['/members', { name: 'Friend', email: 'friend@example.com', role: 'admin' }],
      ['/ai', { name: 'assistant', scopes: 'read', expires_in: 'never' }],
      ['/webhooks', { url: 'http://127.0.0.1:1/hook', events_mode: 'all' }],
    ] as const) {
      const res = await member.post(path, fields)
      expect(res.status, path).toBe(403)
      expect(res.text).not.toMatch(KEY)
    }
    expect(await count()).toBe(keysBefore)
    expect((await server.api('GET', '/health', { key })).status).toBe(200)
    expect((await owner.get('/members')).text).not.toContain('friend@example.com')

    // Made an Admin, they manage, but only an Owner makes Owners.
    const mel = /\/members\/([0-9a-f-]{36})\/role/.exec(owner.page)![1]!
    expect((await owner.post(`/members/${mel}/role`, { role: 'admin' })).text).toContain('is now an Admin')
    await member.get('/members')
    expect((await member.post('/members', { name: 'Boss', email: 'boss@example.com', role: 'owner' })).status).toBe(403)
    expect((await member.post('/members', { name: 'Ada', email: 'ada@example.com', role: 'admin' })).status).toBe(201)
    const olive = await server.db.handle.db.selectFrom('users').select('id').where('email', '=', credentials.email).executeTakeFirstOrThrow()
    await member.get('/members')
    expect(member.page).toContain('/remove') // Ada's
    expect(member.page).not.toContain(`/members/${olive.id}/`) // an Admin cannot touch the Owner
    expect((await member.post(`/members/${olive.id}/remove`, { confirmed: '1' })).status).toBe(403)
  })

  it('org switch: a user in two organisations moves between them, never into a third', async () => {
    const beta = await server.createOrg('Beta')
    const gamma = await server.createOrg('Gamma')
    const user = await server.db.handle.db.selectFrom('users').select('id').where('email', '=', credentials.email).executeTakeFirstOrThrow()
    const deps = { db: server.db.handle.db, outbox: new TransactionalOutbox(), auditWriter }
    await runInTransaction(deps, null, systemMeta(), beta.orgId, (tx) => server.portico.services.members.provision(tx, beta.orgId, { email: credentials.email, name: 'Olive', role: 'admin' }, 'Beta'))
    // An existing user joins Beta by accepting its invitation, then moves back to Acme.
    await owner.get('/invitations')
    const invitation = /action="(\/invitations\/[0-9a-f-]{36}\/accept)"/.exec(owner.page)![1]!
    expect((await owner.post(invitation)).location).toBe('/keys')
    const acme = await server.db.handle.db.selectFrom('organizations').select('id').where('name', '=', 'Acme').executeTakeFirstOrThrow()
    expect((await owner.post('/org', { org_id: acme.id, back: '/keys' })).location).toBe('/keys')

    await owner.get('/keys')
    expect(owner.page).toContain('id="org-switch"')
    expect((await owner.post('/org', { org_id: beta.orgId, back: '/members' })).location).toBe('/members')
    const members = await owner.get('/members')
    expect(members.text).toMatch(/<option value="[^"]+" selected="">Beta<\/option>/)
    expect(members.text).toContain('Admin')
    expect((await owner.post('/org', { org_id: gamma.orgId })).status).toBe(403)
    const session = await server.db.handle.db.selectFrom('sessions').select('org_id').where('user_id', '=', user.id).execute()
    expect(session.map((s) => s.org_id)).not.toContain(gamma.orgId)
  })

  it('webhooks: a delivery links to the history of its attempts', async () => {
    await owner.get('/webhooks')
    expect((await owner.post('/webhooks', { url: 'http://127.0.0.1:1/hook', events_mode: 'all' })).status).toBe(201)
    const hookId = /action="\/webhooks\/([0-9a-f-]{36})\/test"/.exec(owner.page)![1]!
    await owner.post(`/webhooks/${hookId}/test`)
    // No background dispatcher in this server: one pass sends what is due (to a closed port).
    const { db, dialect } = server.portico.database
    const dispatcher = new Dispatcher({ db, dialect, log: server.portico.log, outbox: new TransactionalOutbox(), auditWriter, allowPrivate: true })
    expect(await dispatcher.tick()).toBeGreaterThanOrEqual(1)
    const endpoint = await owner.get(`/webhooks/${hookId}`)
    const link = new RegExp(`href="(/webhooks/${hookId}/deliveries/[0-9a-f-]{36})"`).exec(endpoint.text)
    expect(link, 'a link from the event type').not.toBeNull()
    const history = await owner.get(link![1]!)
    expect(history.status).toBe(200)
    expect(history.text).toContain('Request payload')
    expect(history.text).toContain('&quot;type&quot;: &quot;webhook.test&quot;')
    expect(history.text).toContain('<th scope="row">1</th>')
    expect(history.text).toContain(' ms</td>')
    const missing = await owner.get(`/webhooks/${hookId}/deliveries/00000000-0000-4000-8000-000000000000`)
    expect([missing.status, missing.text.includes('Could not load the delivery')]).toEqual([404, true])
  })

  it('an unknown or malformed id is a page with the reason, never a crash', async () => {
    const missing = '00000000-0000-4000-8000-000000000000'
    for (const [path, status] of [
      [`/webhooks/${missing}`, 404],
      ['/webhooks/not-an-id', 400],
      [`/keys/${missing}/roll`, 404],
      ['/keys?cursor=garbage', 400],
      ['/audit?cursor=garbage', 400],
    ] as const) {
      const res = await owner.get(path)
      expect([res.status, res.headers.get('content-type')], path).toEqual([status, 'text/html; charset=UTF-8'])
    }
    await owner.get('/keys')
    for (const path of [`/webhooks/${missing}/test`, '/webhooks/not-an-id/delete', `/keys/${missing}/revoke`, '/keys/not-an-id/roll', `/members/${missing}/role`]) {
      const res = await owner.post(path, { confirmed: '1', role: 'admin' })
      expect(res.status, path).toBeGreaterThanOrEqual(400)
      expect(res.status, path).toBeLessThan(500)
    }
  })

  it('sign-in is throttled per address and e-mail, with a form token', async () => {
    const visitor = new Visitor(server.url)
    await visitor.get('/login')
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) statuses.push((await visitor.post('/login', { email: 'nobody@example.com', password: 'wrong password' })).status)
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401))
    expect(statuses[10]).toBe(429)
    const noToken = await visitor.request('/login', { form: { email: 'a@b.co', password: 'x' } })
    expect(noToken.status).toBe(403)
  })
})
