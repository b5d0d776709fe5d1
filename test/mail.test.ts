/**
 * E-mail through a real SMTP server started here (PORTICO_SMTP_URL): an invitation and a
 * password reset arrive, and their links work once; "forgot password" says the same for an
 * address with no account, sends nothing for it, and is throttled; a reseller's new user gets their
 * setup link by e-mail, and the reseller the link itself when the mail server refuses.
 */
import net from 'node:net'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReseller } from '../src/cli.js'
import { addUser } from '../src/cli/accounts.js'
import { engines, startServer, type TestServer } from './harness.js'
import { startSmtpServer } from './smtp-server.js'
import { Visitor } from './visitor.js'

/** A setup link from an e-mail sets the password and signs in, once; the account then signs in with it. */
async function setUpOnce(server: TestServer, link: string, email: string, password: string): Promise<void> {
  const person = new Visitor(server.url)
  expect((await person.get(link)).status).toBe(200)
  const set = await person.post(link, { password })
  expect(set.status, set.text).toBe(303)
  expect((await person.get('/keys')).status).toBe(200)
  expect((await new Visitor(server.url).get(link)).status).toBe(410)
  expect((await new Visitor(server.url).signIn(email, password)).status).toBe(303)
}

const linkIn = (text: string, kind: string) => new RegExp(`https?://\\S+/${kind}/[A-Za-z0-9_-]{43}`).exec(text)?.[0]

describe.each(engines)('e-mail (%s)', (engine) => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>
  let server: TestServer
  let owner: Visitor

  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await startServer({ engine, env: { PORTICO_SMTP_URL: smtp.url, PORTICO_MAIL_FROM: 'Portico Test <portico@mail.example>' } })
    owner = new Visitor(server.url)
    const firstRun = (await server.portico.firstRunLink())!
    await owner.get(firstRun)
    const done = await owner.post(firstRun, { org: 'Mailing Co', name: 'Mo Owner', email: 'mo@mail.example', password: 'the owner password' })
    expect(done.status, done.text).toBe(303)
  }, 60_000)

  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })

  it('an invitation arrives with a setup link that works once; the dashboard shows it was e-mailed, not the link', async () => {
    await owner.get('/members')
    const invited = await owner.post('/members', { name: 'Ivy Invitee', email: 'ivy@mail.example', role: 'admin' })
    expect(invited.status, invited.text).toBe(201)
    expect(invited.text).toContain('was e-mailed to')
    const mail = await smtp.next('ivy@mail.example')
    expect(mail.from).toBe('portico@mail.example')
    expect(mail.subject).toContain('Mailing Co')
    const link = linkIn(mail.text, 'setup')!
    expect(link, mail.text).toBeDefined()
    expect(invited.text).not.toContain(new URL(link).pathname)

    await setUpOnce(server, link, 'ivy@mail.example', 'ivy picked this')
  })

  it('an account that exists already is e-mailed an invitation to accept, with no credential in it', async () => {
    const other = await server.createOrg('Other Co')
    await addUser(server.db.handle, server.config, { orgId: other.orgId, email: 'oz@mail.example', role: 'owner' })
    await owner.get('/members')
    const invited = await owner.post('/members', { name: 'Oz', email: 'oz@mail.example', role: 'member' })
    expect(invited.status, invited.text).toBe(201)
    const mail = await smtp.next('oz@mail.example')
    expect(mail.subject).toBe('Invitation to Mailing Co on Portico')
    expect(mail.text).toContain(`${server.config.publicUrl}/invitations`)
    expect(linkIn(mail.text, 'setup')).toBeUndefined()
    expect(linkIn(mail.text, 'reset')).toBeUndefined()
  })

  it("a reseller's new user is e-mailed their setup link, which works once; an existing account its invitation", async () => {
    const { key } = await createReseller(server.db.handle, server.config, 'Mail Partners')
    const org = await server.api('POST', '/reseller/organizations', { key, body: { name: 'Provided Co' } })
    expect(org.status, org.text).toBe(201)
    const created = await server.api('POST', `/reseller/organizations/${org.body.id}/users`, { key, body: { email: 'Pia@Mail.example', name: 'Pia', role: 'owner' } })
    expect(created.status, created.text).toBe(201)
    // E-mailed, so the answer carries no link: only the person holds it.
    expect(created.body).toMatchObject({ status: 'invited', emailed: true, setup_url: null, setup_url_expires_at: expect.any(String) })
    const mail = await smtp.next('pia@mail.example')
    expect(mail.from).toBe('portico@mail.example')
    expect(mail.subject).toBe('You have been added to Provided Co on Portico')
    expect(mail.text).toContain("Your organisation's provider added you to Provided Co on Portico.")
    const link = linkIn(mail.text, 'setup')!
    expect(link, mail.text).toBeDefined()
    expect(created.text).not.toContain(new URL(link).pathname)

    await setUpOnce(server, link, 'pia@mail.example', 'pia picked this')

    // Mo has an account already: an invitation to accept when signed in, with no credential in it.
    const invited = await server.api('POST', `/reseller/organizations/${org.body.id}/users`, { key, body: { email: 'mo@mail.example', name: 'Mo' } })
    expect(invited.body).toMatchObject({ status: 'pending', emailed: true, setup_url: null })
    const invitation = await smtp.next('mo@mail.example', (m) => m.subject === 'Invitation to Provided Co on Portico')
    expect(invitation.text).toContain(`${server.config.publicUrl}/invitations`)
    expect(linkIn(invitation.text, 'setup')).toBeUndefined()
  })

  it('"forgot password" e-mails a reset link that works once, answers alike for an unknown address, and is throttled', async () => {
    const visitor = new Visitor(server.url)
    expect((await visitor.get('/login')).text).toContain('href="/forgot"')
    await visitor.get('/forgot')
    const asked = await visitor.post('/forgot', { email: 'mo@mail.example' })
    expect(asked.status).toBe(200)
    const mail = await smtp.next('mo@mail.example', (m) => /password/i.test(m.subject))
    const link = linkIn(mail.text, 'reset')!
    expect(link, mail.text).toBeDefined()

    await visitor.get('/forgot')
    const unknown = await visitor.post('/forgot', { email: 'nobody@mail.example' })
    expect(unknown.status).toBe(200)
    const answer = (text: string) => text.replace(/(mo|nobody)@mail\.example/g, 'X').replace(/value="[^"]*"/g, '')
    expect(answer(unknown.text)).toBe(answer(asked.text))

    const reset = new Visitor(server.url)
    expect((await reset.get(link)).status).toBe(200)
    const done = await reset.post(link, { password: 'a fresh owner password' })
    expect(done.status, done.text).toBe(303)
    expect((await reset.get('/keys')).status).toBe(200)
    expect((await owner.get('/keys')).status).toBe(302) // the reset signed the old session out
    expect((await new Visitor(server.url).get(link)).status).toBe(410)
    expect((await new Visitor(server.url).signIn('mo@mail.example', 'a fresh owner password')).status).toBe(303)
    expect(smtp.received.some((m) => m.to.includes('nobody@mail.example'))).toBe(false)

    // Three requests an hour for one address, whoever asks.
    for (let i = 0; i < 2; i++) {
      await visitor.get('/forgot')
      expect((await visitor.post('/forgot', { email: 'mo@mail.example' })).status).toBe(200)
    }
    await visitor.get('/forgot')
    const throttled = await visitor.post('/forgot', { email: 'mo@mail.example' })
    expect(throttled.status).toBe(429)
    expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/)
  })
})

describe('a mail server that refuses', () => {
  let server: TestServer
  const lines: string[] = []
  beforeAll(async () => {
    // Nothing listens on a port just freed: every send fails at once.
    const closed = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo
        probe.close(() => resolve(port))
      })
    })
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) })
    server = await startServer({ env: { PORTICO_SMTP_URL: `smtp://127.0.0.1:${closed}` }, logger })
  })
  afterAll(() => server?.close())

  it("gives a reseller the new user's setup link in the answer, as without e-mail, and logs why but never the link", async () => {
    const { key } = await createReseller(server.db.handle, server.config, 'Partners')
    const org = await server.api('POST', '/reseller/organizations', { key, body: { name: 'Unmailed Co' } })
    const created = await server.api('POST', `/reseller/organizations/${org.body.id}/users`, { key, body: { email: 'una@mail.example', name: 'Una' } })
    expect(created.status, created.text).toBe(201)
    expect(created.body).toMatchObject({ status: 'invited', emailed: false, setup_url: expect.stringMatching(/\/setup\/[A-Za-z0-9_-]{43}$/) })
    const warned = lines.map((l) => JSON.parse(l) as { msg: string; err?: string }).find((l) => l.msg === 'could not e-mail una@mail.example')
    expect(warned?.err).toBeTruthy()
    expect(lines.join('\n')).not.toContain(new URL(created.body.setup_url).pathname)
  })
})

describe('without PORTICO_SMTP_URL', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server?.close())

  it('"forgot password" says this server sends no e-mail and how to get a link instead', async () => {
    const visitor = new Visitor(server.url)
    const page = await visitor.get('/forgot')
    expect(page.status).toBe(200)
    expect(page.text).toContain('portico setup-link --email')
    expect(page.text).not.toContain('action="/forgot"')
  })
})
