import type { Context, Hono } from 'hono'
import type { HttpEnv } from '../http/env.js'
import { secretParams } from '../http/middleware/secret-params.js'
import { verifyPassword } from '../members/password.js'
import type { RateLimitPolicy } from '../ratelimit/limiter.js'
import { formText, looksLikeEmail, type DashboardKit } from './kit.js'
import { FirstRunPage, LoginPage, MessagePage, MIN_PASSWORD, SetPasswordPage } from './pages/auth.js'

type Ctx = Context<HttpEnv>

/**
 * Sign-in attempts per address and e-mail, and per address alone (someone trying many e-mails):
 * every attempt counts, so a guesser is slowed whether or not a guess was right.
 */
const perAccount: RateLimitPolicy = { name: 'login', limit: 10, windowSeconds: 15 * 60 }
const perAddress: RateLimitPolicy = { name: 'login-address', limit: 100, windowSeconds: 15 * 60 }

/** Only a path of this site, so `?next=` can never send anyone elsewhere. */
export const safeNext = (value: string | undefined | null): string | undefined =>
  value && /^\/(?!\/)[A-Za-z0-9/_-]*$/.test(value) && !value.startsWith('/login') ? value : undefined

/** First-run setup, member setup links, sign-in, sign-out and the organisation switch. */
export function authRoutes(kit: DashboardKit) {
  const { deps } = kit
  const noOrganizations = async () => (await deps.db.selectFrom('organizations').select('id').limit(1).executeTakeFirst()) === undefined
  const usedLink = (c: Ctx) =>
    kit.html(c, <MessagePage title="Link not valid" message="This setup link was already used or has expired. Ask an Owner or Admin of your organisation for a new one." />, 410)
  const usedFirstRun = (c: Ctx) => kit.html(c, <MessagePage title="Portico is already set up" message="This setup link has been used. Sign in instead." />, 410)

  return function mountAuth(app: Hono<HttpEnv>): void {
    app.get('/', async (c) => c.redirect((await deps.sessions.find(kit.sessionToken(c))) ? '/keys' : '/login'))

    app.get('/login', async (c) => {
      if (await deps.sessions.find(kit.sessionToken(c))) return c.redirect(safeNext(c.req.query('next')) ?? '/keys')
      // Signed in, but in no organisation yet: only invitations to answer.
      if (await deps.sessions.findAccount(kit.sessionToken(c))) return c.redirect('/invitations')
      return kit.html(c, <LoginPage csrf={kit.preToken(c)} next={safeNext(c.req.query('next'))} notSetUp={await noOrganizations()} />)
    })

    app.post('/login', kit.limit, async (c) => {
      const form = await c.req.formData()
      const email = formText(form, 'email').toLowerCase()
      const next = safeNext(formText(form, 'next'))
      const again = (error: string, status: number) => kit.html(c, <LoginPage csrf={kit.preToken(c)} email={email} next={next} error={error} />, status)
      if (!kit.preValid(c, form)) return again('The form expired. Please try again.', 403)
      const ip = c.get('clientIp')
      const decisions = await deps.limiter.consume([
        { bucket: `login:${ip}:${email}`, policy: perAccount },
        { bucket: `login:${ip}`, policy: perAddress },
      ])
      const refused = decisions.filter((d) => !d.allowed)
      if (refused.length > 0) {
        const wait = Math.max(...refused.map((d) => d.resetSeconds))
        c.header('Retry-After', String(wait))
        return again(`Too many sign-in attempts. Try again in ${Math.ceil(wait / 60)} minute${wait > 60 ? 's' : ''}.`, 429)
      }
      const user = await deps.db.selectFrom('users').select(['id', 'password_hash']).where('email', '=', email).executeTakeFirst()
      // An unknown e-mail costs the same scrypt work as a wrong password, so timing tells nothing.
      const ok = await verifyPassword(String(form.get('password') ?? ''), user?.password_hash ?? DUMMY_HASH)
      if (!user || !ok) return again('That e-mail and password do not match.', 401)
      const [orgs, invited] = await Promise.all([deps.sessions.orgsOf(user.id), deps.members.invitations.countForUser(user.id)])
      if (orgs.length === 0 && invited === 0) return again('Your account belongs to no organisation any more. Ask an Owner to invite you again.', 403)
      // No organisation yet: the session only reaches the invitations page until one is accepted.
      await kit.signIn(c, user.id, orgs[0]?.id ?? '')
      // Pending invitations come first after signing in, so nobody misses one.
      return c.redirect(orgs.length === 0 || (invited > 0 && !next) ? '/invitations' : (next ?? '/keys'), 303)
    })

    app.post(
      '/logout',
      kit.limit,
      kit.signedInAccount(async (c) => {
        await kit.signOut(c)
        return c.redirect('/login', 303)
      }),
    )

    app.post(
      '/org',
      kit.limit,
      kit.signedIn(async (c, me) => {
        const back = safeNext(formText(me.form, 'back')) ?? '/keys'
        const ok = await deps.sessions.switchOrg(kit.sessionToken(c)!, me.session.userId, formText(me.form, 'org_id'))
        if (!ok) return kit.html(c, <MessagePage title="Not a member" message="You are not a member of that organisation." signedIn />, 403)
        return c.redirect(back, 303)
      }),
    )

    app.get('/setup/first-run/:token', secretParams('token'), async (c) =>
      (await deps.firstRun.valid(c.req.param('token'))) ? kit.html(c, <FirstRunPage csrf={kit.preToken(c)} action={c.req.path} />) : usedFirstRun(c),
    )

    app.post('/setup/first-run/:token', secretParams('token'), kit.limit, async (c) => {
      // The token first: a post to a used or made-up link costs a look-up, never a password hash.
      if (!(await deps.firstRun.valid(c.req.param('token')))) return usedFirstRun(c)
      const form = await c.req.formData()
      const values = { org: formText(form, 'org'), name: formText(form, 'name'), email: formText(form, 'email').toLowerCase() }
      const again = (error: string, status: number) => kit.html(c, <FirstRunPage csrf={kit.preToken(c)} action={c.req.path} error={error} values={values} />, status)
      if (!kit.preValid(c, form)) return again('The form expired. Please try again.', 403)
      const password = String(form.get('password') ?? '')
      if (!values.org || values.org.length > 100) return again('Give your organisation a name (up to 100 characters).', 400)
      if (!values.name || values.name.length > 200) return again('Give your name.', 400)
      if (!looksLikeEmail(values.email)) return again('Give a valid e-mail address.', 400)
      if (password.length < MIN_PASSWORD) return again(`The password needs at least ${MIN_PASSWORD} characters.`, 400)
      const done = await deps.firstRun.complete(c.req.param('token'), { orgName: values.org, name: values.name, email: values.email, password }, kit.meta(c))
      if (!done) return usedFirstRun(c)
      await kit.signIn(c, done.userId, done.orgId)
      return c.redirect('/keys', 303)
    })

    app.get('/setup/:token', secretParams('token'), async (c) => {
      const link = await deps.members.findSetupLink(c.req.param('token'))
      if (!link) return usedLink(c)
      return kit.html(c, <SetPasswordPage csrf={kit.preToken(c)} action={c.req.path} email={link.email} />)
    })

    app.post('/setup/:token', secretParams('token'), kit.limit, async (c) => {
      const form = await c.req.formData()
      const link = await deps.members.findSetupLink(c.req.param('token'))
      if (!link) return usedLink(c)
      const again = (error: string, status: number) => kit.html(c, <SetPasswordPage csrf={kit.preToken(c)} action={c.req.path} email={link.email} error={error} />, status)
      if (!kit.preValid(c, form)) return again('The form expired. Please try again.', 403)
      const password = String(form.get('password') ?? '')
      if (password.length < MIN_PASSWORD) return again(`Use at least ${MIN_PASSWORD} characters.`, 400)
      const done = await deps.members.completeSetup(c.req.param('token'), password)
      if (!done) return usedLink(c)
      await kit.signIn(c, done.userId, done.orgId)
      return c.redirect('/keys', 303)
    })
  }
}

/** A real scrypt hash of a random password nobody knows, for e-mails with no account. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
