import type { Context, Hono } from 'hono'
import type { HttpEnv } from '../http/env.js'
import { secretParams } from '../http/middleware/secret-params.js'
import { accountMail } from '../members/account-mail.js'
import type { RateLimitPolicy } from '../ratelimit/limiter.js'
import { formText, looksLikeEmail, type DashboardKit } from './kit.js'
import { ForgotPasswordPage, OwnerSetupPage, ResetPasswordPage } from './pages/account.js'
import { MessagePage, MIN_PASSWORD } from './pages/auth.js'

type Ctx = Context<HttpEnv>

/**
 * Reset requests per typed address (so nobody floods one mailbox) and per client address (so
 * nobody walks a list of addresses). Counted whether or not the address is an account.
 */
const perEmail: RateLimitPolicy = { name: 'password-reset', limit: 3, windowSeconds: 60 * 60 }
const perAddress: RateLimitPolicy = { name: 'password-reset-address', limit: 20, windowSeconds: 60 * 60 }

/** "Forgot password", password-reset links and an organisation's first-Owner link. */
export function accountRoutes(kit: DashboardKit) {
  const { deps } = kit
  const deadLink = (c: Ctx) => kit.html(c, <MessagePage title="Link not valid" message="This link was already used or has expired. Ask for a new one." />, 410)

  /** After a password is set: into the first organisation, or the invitations waiting for an account with none. */
  const enter = async (c: Ctx, userId: string): Promise<Response> => {
    const [orgs, invited] = await Promise.all([deps.sessions.orgsOf(userId), deps.members.invitations.countForUser(userId)])
    if (orgs.length === 0 && invited === 0) {
      return kit.html(c, <MessagePage title="Password changed" message="Your password is set, but your account belongs to no organisation any more. Ask an Owner to invite you again." />)
    }
    await kit.signIn(c, userId, orgs[0]?.id ?? '')
    return c.redirect(orgs.length === 0 || invited > 0 ? '/invitations' : '/keys', 303)
  }

  return function mountAccount(app: Hono<HttpEnv>): void {
    app.get('/forgot', (c) => kit.html(c, <ForgotPasswordPage csrf={kit.preToken(c)} mailConfigured={deps.mail.configured} />))

    app.post('/forgot', kit.limit, async (c) => {
      const form = await c.req.formData()
      const email = formText(form, 'email').toLowerCase()
      const again = (error: string, status: number) =>
        kit.html(c, <ForgotPasswordPage csrf={kit.preToken(c)} mailConfigured={deps.mail.configured} email={email} error={error} />, status)
      if (!deps.mail.configured) return kit.html(c, <ForgotPasswordPage csrf={kit.preToken(c)} mailConfigured={false} />, 503)
      if (!kit.preValid(c, form)) return again('The form expired. Please try again.', 403)
      if (!looksLikeEmail(email)) return again('Give a valid e-mail address.', 400)
      const ip = c.get('clientIp')
      const decisions = await deps.limiter.consume([
        { bucket: `reset:${email}`, policy: perEmail },
        { bucket: `reset:${ip}`, policy: perAddress },
      ])
      const refused = decisions.filter((d) => !d.allowed)
      if (refused.length > 0) {
        const wait = Math.max(...refused.map((d) => d.resetSeconds))
        c.header('Retry-After', String(wait))
        return again(`Too many requests for a reset link. Try again in ${Math.ceil(wait / 60)} minute${wait > 60 ? 's' : ''}.`, 429)
      }
      // Looked up and sent after the answer: an account and no account answer alike, and as fast.
      const log = deps.log
      void (async () => {
        const user = await deps.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()
        if (!user) return
        const link = await deps.accountLinks.issueReset(user.id)
        await deps.mail.send(accountMail.passwordReset(email, { url: link.url }))
        log.info({ user_id: user.id }, 'password-reset link e-mailed')
      })().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'password-reset link not sent'))
      return kit.html(c, <ForgotPasswordPage csrf={kit.preToken(c)} mailConfigured email={email} sent />)
    })

    app.get('/reset/:token', secretParams('token'), async (c) => {
      const link = await deps.accountLinks.findReset(c.req.param('token'))
      if (!link) return deadLink(c)
      return kit.html(c, <ResetPasswordPage csrf={kit.preToken(c)} action={c.req.path} email={link.email} />)
    })

    app.post('/reset/:token', secretParams('token'), kit.limit, async (c) => {
      // The token first: a post to a used or made-up link costs a look-up, never a password hash.
      const link = await deps.accountLinks.findReset(c.req.param('token'))
      if (!link) return deadLink(c)
      const form = await c.req.formData()
      const again = (error: string, status: number) => kit.html(c, <ResetPasswordPage csrf={kit.preToken(c)} action={c.req.path} email={link.email} error={error} />, status)
      if (!kit.preValid(c, form)) return again('The form expired. Please try again.', 403)
      const password = String(form.get('password') ?? '')
      if (password.length < MIN_PASSWORD) return again(`Use at least ${MIN_PASSWORD} characters.`, 400)
      const done = await deps.accountLinks.completeReset(c.req.param('token'), password, kit.meta(c))
      if (!done) return deadLink(c)
      return enter(c, done.userId)
    })

    app.get('/setup/owner/:token', secretParams('token'), async (c) => {
      const link = await deps.accountLinks.findOwnerLink(c.req.param('token'))
      if (!link) return deadLink(c)
      return kit.html(c, <OwnerSetupPage csrf={kit.preToken(c)} action={c.req.path} orgName={link.orgName} />)
    })

    app.post('/setup/owner/:token', secretParams('token'), kit.limit, async (c) => {
      const link = await deps.accountLinks.findOwnerLink(c.req.param('token'))
      if (!link) return deadLink(c)
      const form = await c.req.formData()
      const values = { name: formText(form, 'name'), email: formText(form, 'email').toLowerCase() }
      const again = (error: string, status: number) =>
        kit.html(c, <OwnerSetupPage csrf={kit.preToken(c)} action={c.req.path} orgName={link.orgName} error={error} values={values} />, status)
      if (!kit.preValid(c, form)) return again('The form expired. Please try again.', 403)
      const password = String(form.get('password') ?? '')
      if (!values.name || values.name.length > 200) return again('Give your name.', 400)
      if (!looksLikeEmail(values.email)) return again('Give a valid e-mail address.', 400)
      if (password.length < MIN_PASSWORD) return again(`The password needs at least ${MIN_PASSWORD} characters.`, 400)
      const done = await deps.accountLinks.completeOwner(c.req.param('token'), { ...values, password }, kit.meta(c))
      if (done.kind === 'invalid') return deadLink(c)
      if (done.kind === 'email_taken') {
        // This link came from the operator, who may add an existing account: `portico user create`.
        return again(
          `${values.email} already has a Portico account. Use another address, or ask whoever runs Portico to add that account: portico user create --org ${link.orgId} --email ${values.email} --role owner`,
          409,
        )
      }
      await kit.signIn(c, done.userId, done.orgId)
      return c.redirect('/keys', 303)
    })
  }
}
