import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReseller } from '../cli.js'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { Visitor } from '../../test/visitor.js'

/**
 * Users are global, one per e-mail. Whatever order organisations add an address in, no inviter
 * ever holds a link that sets the password of an account that exists, and nobody joins an
 * organisation without accepting its invitation while signed in.
 */
describe.each(engines)('adding an e-mail that already has an account (%s)', (engine) => {
  let server: TestServer
  const resellers: { key: string }[] = []
  const unique = () => randomBytes(4).toString('hex')

  const newOrg = async (reseller: { key: string }, name: string): Promise<string> => {
    const res = await server.api('POST', '/reseller/organizations', { key: reseller.key, body: { name } })
    expect(res.status, res.text).toBe(201)
    return res.body.id
  }
  const provision = (reseller: { key: string }, orgId: string, body: Record<string, unknown>) =>
    server.api('POST', `/reseller/organizations/${orgId}/users`, { key: reseller.key, body })
  const setPassword = async (url: string, password: string) => {
    const visitor = new Visitor(server.url)
    const page = await visitor.get(url)
    if (page.status !== 200) return { visitor, status: page.status }
    const done = await visitor.post(url, { password })
    return { visitor, status: done.status }
  }
  const memberships = async (email: string) =>
    (
      await server.db.handle.db
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select('memberships.org_id')
        .where('users.email', '=', email)
        .execute()
    ).map((m) => m.org_id)

  beforeAll(async () => {
    server = await startServer({ engine, env: { PORTICO_AUTH_FAILURES_PER_MINUTE: '100000' } })
    for (const name of ['R1', 'R2']) resellers.push({ key: (await createReseller(server.db.handle, server.config, name)).key })
  })
  afterAll(() => server.close())

  it('a second reseller gets an invitation, not a setup link, for a pending Owner of another organisation', async () => {
    const [r1, r2] = resellers as [{ key: string }, { key: string }]
    const x = await newOrg(r1, 'X')
    const y = await newOrg(r2, 'Y')
    const email = `victim.${unique()}@x.example`
    const first = await provision(r1, x, { email, name: 'Victoria Real', role: 'owner' })
    expect(first.status, first.text).toBe(201)
    expect(first.body.setup_url).toMatch(/\/setup\//)

    // Before the victim sets a password, R2 asks for the same address in its own organisation.
    const second = await provision(r2, y, { email: email.toUpperCase(), name: 'a', role: 'owner' })
    expect(second.status, second.text).toBe(201)
    expect(second.body).toMatchObject({ email, name: 'a', role: 'owner', status: 'pending', setup_url: null, setup_url_expires_at: null })
    expect(second.text).not.toContain('Victoria')
    expect(await memberships(email)).toEqual([x])

    // The victim's own link still works, and signing in shows Y's invitation to answer.
    expect((await setPassword(first.body.setup_url, 'the victim chose this one')).status).toBe(303)
    const visitor = new Visitor(server.url)
    const signedIn = await visitor.signIn(email, 'the victim chose this one')
    expect(signedIn.location).toBe('/invitations')
    await visitor.get('/invitations')
    expect(visitor.page).toContain('Y')
    expect(visitor.page).toContain('Owner')
    const decline = /action="(\/invitations\/[0-9a-f-]{36}\/decline)"/.exec(visitor.page)![1]!
    expect((await visitor.post(decline)).status).toBe(200)
    expect(await memberships(email)).toEqual([x])
    const declined = await server.db.handle.db.selectFrom('audit_log').select('action').where('org_id', '=', y).where('action', '=', 'member.invitation_declined').execute()
    expect(declined).toHaveLength(1)
  })

  it('an account claimed first does not open an organisation that adds it later until it accepts', async () => {
    const [r1, r2] = resellers as [{ key: string }, { key: string }]
    const attacker = await newOrg(r2, 'Attacker')
    const x = await newOrg(r1, 'Victim org')
    const email = `early.${unique()}@x.example`
    const claimed = await provision(r2, attacker, { email, name: 'Someone', role: 'owner' })
    expect((await setPassword(claimed.body.setup_url, 'attacker password 1')).status).toBe(303)

    const later = await provision(r1, x, { email, name: 'Real Person', role: 'owner' })
    expect(later.status, later.text).toBe(201)
    expect(later.body).toMatchObject({ email, name: 'Real Person', status: 'pending', setup_url: null })
    expect(later.text).not.toContain('Someone')
    expect(later.text).not.toContain('active')
    const listed = await server.api('GET', `/reseller/organizations/${x}/users`, { key: r1.key })
    expect(listed.body.data).toEqual([])

    // The password opens only what the account already had; X asked, and nothing more happened.
    const visitor = new Visitor(server.url)
    await visitor.signIn(email, 'attacker password 1')
    await visitor.get('/keys')
    expect(visitor.page).toContain('Attacker')
    expect(visitor.page).not.toContain('id="org-switch"')
    expect(await memberships(email)).toEqual([attacker])
  })

  it('a dashboard Admin inviting an existing user sees only what they typed, and the user joins by accepting', async () => {
    const [r1, r2] = resellers as [{ key: string }, { key: string }]
    const home = await newOrg(r1, 'Home')
    const other = await newOrg(r2, 'Other')
    const email = `member.${unique()}@x.example`
    const invited = await provision(r1, home, { email, name: 'Stored Name', role: 'member' })
    const { visitor: user } = await setPassword(invited.body.setup_url, 'the users own password')

    const adminEmail = `admin.${unique()}@y.example`
    const admin = await provision(r2, other, { email: adminEmail, name: 'Ann Admin', role: 'admin' })
    const { visitor: inviter } = await setPassword(admin.body.setup_url, 'the admins own password')
    await inviter.get('/members')
    const answer = await inviter.post('/members', { email, name: 'Typed Name', role: 'admin' })
    expect(answer.status).toBe(201)
    expect(answer.text).not.toContain('/setup/')
    expect(answer.text).not.toContain('Stored Name')
    expect(answer.text).toContain('Typed Name')
    expect(answer.text).toContain('accept')
    expect(await memberships(email)).toEqual([home])
    // Asking twice is a conflict, not a second invitation.
    await inviter.get('/members')
    expect((await inviter.post('/members', { email, name: 'Typed Name', role: 'admin' })).status).toBe(409)

    // The user sees it on every page and on /invitations; accepting makes them an Admin of Other, audited there.
    await user.get('/keys')
    expect(user.page).toContain('href="/invitations"')
    await user.get('/invitations')
    const accept = /action="(\/invitations\/[0-9a-f-]{36}\/accept)"/.exec(user.page)![1]!
    expect((await user.post(accept)).location).toBe('/keys')
    expect((await memberships(email)).sort()).toEqual([home, other].sort())
    await user.get('/members')
    expect(user.page).toContain('Other')
    const audit = await server.db.handle.db.selectFrom('audit_log').select(['action', 'actor_label', 'details']).where('org_id', '=', other).where('action', '=', 'member.added').execute()
    expect(audit.some((a) => a.actor_label === email && a.details?.includes('invitation accepted'))).toBe(true)
    // Used once: posting it again finds nothing.
    expect((await user.post(accept)).status).toBe(404)
  })

  it('a user whose account is still pending elsewhere accepts after their own setup; a user in no organisation can too', async () => {
    const [r1, r2] = resellers as [{ key: string }, { key: string }]
    const first = await newOrg(r1, 'First')
    const second = await newOrg(r2, 'Second')
    const email = `pending.${unique()}@x.example`
    const created = await provision(r1, first, { email, name: 'P', role: 'member' })
    expect((await provision(r2, second, { email, name: 'P', role: 'member' })).body.status).toBe('pending')
    await setPassword(created.body.setup_url, 'pending users password')
    // Removed from First, the user still signs in, to the invitations page only.
    await server.db.handle.db.deleteFrom('memberships').where('org_id', '=', first).execute()
    const visitor = new Visitor(server.url)
    const signedIn = await visitor.signIn(email, 'pending users password')
    expect(signedIn.location).toBe('/invitations')
    expect((await visitor.get('/keys')).location).toMatch(/^\/login/)
    await visitor.get('/invitations')
    const accept = /action="(\/invitations\/[0-9a-f-]{36}\/accept)"/.exec(visitor.page)![1]!
    expect((await visitor.post(accept)).location).toBe('/keys')
    expect((await visitor.get('/keys')).status).toBe(200)
    expect(await memberships(email)).toEqual([second])
  })

  it('a setup link another organisation obtained for a pending user sets nothing, and cannot be renewed there', async () => {
    // The state an inviter could reach before invitations existed: a second membership and its own link.
    const [r1, r2] = resellers as [{ key: string }, { key: string }]
    const x = await newOrg(r1, 'Owner org')
    const y = await newOrg(r2, 'Second inviter')
    const email = `legacy.${unique()}@x.example`
    const real = await provision(r1, x, { email, name: 'Real', role: 'owner' })
    const { db } = server.db.handle
    const user = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()
    await db.insertInto('memberships').values({ org_id: y, user_id: user.id, role: 'owner', created_at: new Date(Date.now() + 1000).toISOString() }).execute()
    const token = randomBytes(32).toString('base64url')
    const at = new Date().toISOString()
    await db
      .insertInto('setup_tokens')
      .values({ token_hash: createHash('sha256').update(token).digest('hex'), user_id: user.id, org_id: y, created_at: at, expires_at: new Date(Date.now() + 86_400_000).toISOString(), used_at: null })
      .execute()

    expect((await setPassword(`${server.url}/setup/${token}`, 'attacker password 2')).status).toBe(410)
    const refused = new Visitor(server.url)
    await refused.get(real.body.setup_url)
    expect((await refused.post(`${server.url}/setup/${token}`, { password: 'attacker password 2' })).status).toBe(410)
    expect((await db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow()).password_hash).toBeNull()

    // Y's Admin asking for a new link for that member is refused too.
    const adminEmail = `yadmin.${unique()}@y.example`
    const admin = await provision(r2, y, { email: adminEmail, name: 'Y Admin', role: 'owner' })
    const { visitor: yAdmin } = await setPassword(admin.body.setup_url, 'y admins own password')
    await yAdmin.get('/members')
    const reissued = await yAdmin.post(`/members/${user.id}/link`)
    expect(reissued.status).toBe(409)
    expect(reissued.text).not.toContain('/setup/')

    // The owner's own link still works.
    expect((await setPassword(real.body.setup_url, 'the real owners password')).status).toBe(303)
  })
})
