import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Context, Hono } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { Logger } from 'pino'
import { ApiError } from '../core/errors.js'
import type { OperationRegistry } from '../core/operation.js'
import type { UserPrincipal } from '../core/principal.js'
import { allScopes } from '../core/scopes.js'
import type { TransactionDeps } from '../core/transaction.js'
import { runInTransaction } from '../core/transaction.js'
import type { HttpEnv } from '../http/env.js'
import { mcpClientConfig, mcpEndpoint, mcpInspectorCommand } from '../mcp/client-config.js'
import type { MemberService, Role } from '../members/member-service.js'
import { verifyPassword } from '../members/password.js'
import type { RateLimiter } from '../ratelimit/limiter.js'
import type { OperationExecutor } from '../runtime/execute-operation.js'
import type { CoreDb } from '../storage/db.js'
import type { FirstRun } from './first-run.js'
import { FirstRunPage, LoginPage, MessagePage, SetPasswordPage } from './pages/auth.js'
import { AiPage } from './pages/ai.js'
import { KeysPage } from './pages/keys.js'
import { MembersPage } from './pages/members.js'
import { UsagePage } from './pages/usage.js'
import { WebhookPage, WebhooksPage } from './pages/webhooks.js'
import type { Session, SessionStore } from './session-store.js'

export interface DashboardDeps {
  db: CoreDb
  registry: OperationRegistry
  executor: OperationExecutor
  members: MemberService
  sessions: SessionStore
  firstRun: FirstRun
  limiter: RateLimiter
  tx: TransactionDeps
  urls: { readonly publicUrl: string }
  log: Logger
}

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const assets: Record<string, { type: string; body: Buffer }> = {
  'app.css': { type: 'text/css; charset=utf-8', body: readFileSync(path.join(here, 'assets/app.css')) },
  'app.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(path.join(here, 'assets/app.js')) },
  // Served from the installed package: no CDN at run time.
  'chart.umd.min.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js')) },
}

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
const SESSION = 'portico_session'
const PRE = 'portico_csrf'
const loginPolicy = { name: 'login', limit: 10, windowSeconds: 900 }

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

function principalOf(session: Session): UserPrincipal {
  return { kind: 'user', orgId: session.orgId, userId: session.userId, email: session.email, role: session.role, scopes: session.role === 'member' ? ['read'] : [...allScopes] }
}

type DashContext = Context<HttpEnv & { Variables: { session: Session; orgName: string } }>

/** The web dashboard: server-rendered pages that call the same operations as the API, as the signed-in user. */
export function dashboardRoutes(deps: DashboardDeps) {
  const secure = () => deps.urls.publicUrl.startsWith('https:')
  const cookieOptions = () => ({ httpOnly: true, sameSite: 'Lax' as const, path: '/', secure: secure() })

  /** Pre-session CSRF for the sign-in and setup forms: a cookie and a field that must match. */
  function preToken(c: Context): string {
    let token = getCookie(c, PRE)
    if (!token) {
      token = randomBytes(24).toString('base64url')
      setCookie(c, PRE, token, { ...cookieOptions(), maxAge: 3600 })
    }
    return token
  }
  const preValid = (c: Context, form: FormData) => {
    const cookie = getCookie(c, PRE)
    const field = String(form.get('_csrf') ?? '')
    return Boolean(cookie) && same(cookie!, field)
  }

  const html = (c: Context, body: Parameters<Context['html']>[0], status = 200) => {
    c.header('Content-Security-Policy', CSP)
    c.header('Cache-Control', 'no-store')
    return c.html(body, status as 200)
  }

  const run = async (c: DashContext, opId: string, raw: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {}) => {
    const op = deps.registry.get(opId)
    if (!op) throw new ApiError('not_found', `This deployment has no ${opId}`)
    const principal = principalOf(c.get('session'))
    deps.executor.authorize(op, principal)
    const result = await deps.executor.run(op, principal, raw, { requestId: c.get('requestId'), clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') })
    return 'body' in result ? (result.body as any) : undefined
  }

  const message = (error: unknown) => {
    if (error instanceof ApiError) return error.status === 403 ? `Not allowed: ${error.message}. Ask an Owner or Admin.` : error.message
    throw error
  }

  async function signIn(c: Context, userId: string, orgId: string) {
    const token = await deps.sessions.create(userId, orgId)
    setCookie(c, SESSION, token, { ...cookieOptions(), maxAge: 12 * 3600 })
    deleteCookie(c, PRE, { path: '/' })
  }

  return function mountDashboard(app: Hono<HttpEnv>): void {
    app.get('/dashboard-assets/:file', (c) => {
      const asset = assets[c.req.param('file')]
      if (!asset) return c.notFound()
      return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=3600' })
    })

    app.get('/', async (c) => c.redirect((await deps.sessions.find(getCookie(c, SESSION))) ? '/keys' : '/login'))

    app.get('/login', (c) => html(c, <LoginPage csrf={preToken(c)} />))
    app.post('/login', async (c) => {
      const form = await c.req.formData()
      if (!preValid(c, form)) return html(c, <LoginPage csrf={preToken(c)} error="Your form expired; please try again." />, 403)
      const email = String(form.get('email') ?? '').trim().toLowerCase()
      const password = String(form.get('password') ?? '')
      const [decision] = await deps.limiter.consume([{ bucket: `login:${c.get('clientIp')}:${email}`, policy: loginPolicy }])
      if (decision && !decision.allowed) {
        c.header('Retry-After', String(decision.resetSeconds))
        return html(c, <LoginPage csrf={preToken(c)} email={email} error={`Too many sign-in attempts. Try again in ${Math.ceil(decision.resetSeconds / 60)} minutes.`} />, 429)
      }
      const user = await deps.db.selectFrom('users').select(['id', 'password_hash']).where('email', '=', email).executeTakeFirst()
      const ok = await verifyPassword(password, user?.password_hash ?? null)
      const membership = ok && user ? await deps.db.selectFrom('memberships').select('org_id').where('user_id', '=', user.id).orderBy('created_at').executeTakeFirst() : undefined
      if (!user || !ok || !membership) return html(c, <LoginPage csrf={preToken(c)} email={email} error="That e-mail and password do not match." />, 401)
      await signIn(c, user.id, membership.org_id)
      return c.redirect('/keys', 303)
    })

    app.get('/setup/first-run/:token', async (c) =>
      (await deps.firstRun.valid(c.req.param('token')))
        ? html(c, <FirstRunPage csrf={preToken(c)} action={c.req.path} />)
        : html(c, <MessagePage title="Link already used" message="Portico is already set up. Sign in instead." />, 410),
    )
    app.post('/setup/first-run/:token', async (c) => {
      const form = await c.req.formData()
      if (!preValid(c, form)) return html(c, <FirstRunPage csrf={preToken(c)} action={c.req.path} error="Your form expired; please try again." />, 403)
      const input = { orgName: String(form.get('org') ?? '').trim(), name: String(form.get('name') ?? '').trim(), email: String(form.get('email') ?? '').trim(), password: String(form.get('password') ?? '') }
      if (!input.orgName || !input.name || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(input.email) || input.password.length < 10) {
        return html(c, <FirstRunPage csrf={preToken(c)} action={c.req.path} error="Fill in every field; the password needs at least 10 characters." />, 400)
      }
      const done = await deps.firstRun.complete(c.req.param('token'), input)
      if (!done) return html(c, <MessagePage title="Link already used" message="Portico is already set up. Sign in instead." />, 410)
      await signIn(c, done.userId, done.orgId)
      return c.redirect('/keys', 303)
    })

    app.get('/setup/:token', async (c) => {
      const link = await deps.members.findSetupLink(c.req.param('token'))
      if (!link) return html(c, <MessagePage title="Link not valid" message="This setup link was used or has expired. Ask an Admin for a new one." />, 410)
      return html(c, <SetPasswordPage csrf={preToken(c)} action={c.req.path} email={link.email} />)
    })
    app.post('/setup/:token', async (c) => {
      const form = await c.req.formData()
      const link = await deps.members.findSetupLink(c.req.param('token'))
      if (!link) return html(c, <MessagePage title="Link not valid" message="This setup link was used or has expired." />, 410)
      if (!preValid(c, form)) return html(c, <SetPasswordPage csrf={preToken(c)} action={c.req.path} email={link.email} error="Your form expired; please try again." />, 403)
      const password = String(form.get('password') ?? '')
      if (password.length < 10) return html(c, <SetPasswordPage csrf={preToken(c)} action={c.req.path} email={link.email} error="Use at least 10 characters." />, 400)
      const done = await deps.members.completeSetup(c.req.param('token'), password)
      if (!done) return html(c, <MessagePage title="Link not valid" message="This setup link was used or has expired." />, 410)
      await signIn(c, done.userId, done.orgId)
      return c.redirect('/keys', 303)
    })

    // Everything below needs a session; every POST below needs its CSRF token.
    const pages = ['/keys', '/keys/*', '/members', '/webhooks', '/webhooks/*', '/usage', '/ai', '/logout']
    for (const p of pages) {
      app.use(p, async (c, next) => {
        const session = await deps.sessions.find(getCookie(c, SESSION))
        if (!session) {
          if (c.req.method === 'GET') return c.redirect('/login')
          return html(c, <MessagePage title="Signed out" message="Your session ended. Sign in again." />, 401)
        }
        if (c.req.method === 'POST') {
          const form = await c.req.raw.clone().formData().catch(() => undefined)
          const token = form ? String(form.get('_csrf') ?? '') : ''
          if (!same(token, session.csrf)) return html(c, <MessagePage title="Request refused" message="The form is missing its security token. Reload the page and try again." />, 403)
        }
        const org = await deps.db.selectFrom('organizations').select('name').where('id', '=', session.orgId).executeTakeFirst()
        ;(c as unknown as DashContext).set('session', session)
        ;(c as unknown as DashContext).set('orgName', org?.name ?? '')
        await next()
      })
    }

    app.post('/logout', async (c) => {
      await deps.sessions.destroy(getCookie(c, SESSION))
      deleteCookie(c, SESSION, { path: '/' })
      return c.redirect('/login', 303)
    })

    const canManage = (s: Session) => s.role !== 'member'
    const keysPage = async (c: DashContext, extra: { minted?: { key: string; name: string }; error?: string; notice?: string } = {}, status = 200) => {
      const keys = (await run(c, 'keys.list', { query: { limit: '100' } }).catch(() => ({ data: [] }))).data
      return html(c, <KeysPage session={c.get('session')} orgName={c.get('orgName')} keys={keys} canManage={canManage(c.get('session'))} {...extra} />, status)
    }
    const keysList = async (c: DashContext) => {
      // Members hold only `read`; they see the list through the same data an admin key would.
      const session = c.get('session')
      if (canManage(session)) return keysPage(c)
      const keys = await deps.db.selectFrom('api_keys').selectAll().where('org_id', '=', session.orgId).orderBy('created_at', 'desc').limit(100).execute()
      const { toKeyView } = await import('../keys/key-schema.js')
      return html(c, <KeysPage session={session} orgName={c.get('orgName')} keys={keys.map(toKeyView)} canManage={false} />)
    }
    app.get('/keys', (c) => keysList(c as unknown as DashContext))
    app.post('/keys', async (c) => {
      const dc = c as unknown as DashContext
      const form = await c.req.formData()
      try {
        const body = { name: String(form.get('name') ?? ''), scopes: form.getAll('scopes').map(String), expires_in: String(form.get('expires_in') ?? 'never') }
        const minted = await run(dc, 'keys.create', { body })
        return keysPage(dc, { minted: { key: minted.key, name: minted.name } }, 201)
      } catch (error) {
        return keysPage(dc, { error: message(error) }, error instanceof ApiError ? error.status : 500)
      }
    })
    app.post('/keys/:id/revoke', async (c) => {
      const dc = c as unknown as DashContext
      try {
        const key = await run(dc, 'keys.revoke', { params: { id: c.req.param('id') } })
        return keysPage(dc, { notice: `Revoked “${key.name}”.` })
      } catch (error) {
        return keysPage(dc, { error: message(error) }, error instanceof ApiError ? error.status : 500)
      }
    })
    app.post('/keys/:id/roll', async (c) => {
      const dc = c as unknown as DashContext
      try {
        const rolled = await run(dc, 'keys.roll', { params: { id: c.req.param('id') }, body: {} })
        return keysPage(dc, { minted: { key: rolled.key, name: rolled.name } }, 201)
      } catch (error) {
        return keysPage(dc, { error: message(error) }, error instanceof ApiError ? error.status : 500)
      }
    })

    const membersPage = async (c: DashContext, extra: { invited?: { email: string; url: string | null }; error?: string } = {}, status = 200) =>
      html(c, <MembersPage session={c.get('session')} orgName={c.get('orgName')} members={await deps.members.list(c.get('session').orgId)} canManage={canManage(c.get('session'))} {...extra} />, status)
    app.get('/members', (c) => membersPage(c as unknown as DashContext))
    app.post('/members', async (c) => {
      const dc = c as unknown as DashContext
      const session = dc.get('session')
      if (!canManage(session)) return membersPage(dc, { error: 'Only Owners and Admins invite members.' }, 403)
      const form = await c.req.formData()
      const email = String(form.get('email') ?? '').trim()
      const name = String(form.get('name') ?? '').trim()
      const role = String(form.get('role') ?? 'member') as Role
      if (!['owner', 'admin', 'member'].includes(role) || !name || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return membersPage(dc, { error: 'Give a name, a valid e-mail and a role.' }, 400)
      if (role === 'owner' && session.role !== 'owner') return membersPage(dc, { error: 'Only an Owner can add another Owner.' }, 403)
      try {
        const meta = { requestId: c.get('requestId'), clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') }
        const result = await runInTransaction(deps.tx, principalOf(session), meta, session.orgId, (tx) => deps.members.provision(tx, session.orgId, { email, name, role }))
        return membersPage(dc, { invited: { email, url: result.setupUrl } }, 201)
      } catch (error) {
        return membersPage(dc, { error: message(error) }, error instanceof ApiError ? error.status : 500)
      }
    })

    const hooksPage = async (c: DashContext, error?: string, status = 200) => {
      if (!deps.registry.get('webhooks.list')) return html(c, <MessagePage title="Webhooks" message="No webhooks capability is mounted." />)
      const session = c.get('session')
      const hooks = canManage(session) ? (await run(c, 'webhooks.list', { query: { limit: '100' } })).data : []
      const types = canManage(session) ? (await run(c, 'webhooks.event_types')).data.map((t: { type: string }) => t.type) : []
      return html(c, <WebhooksPage session={session} orgName={c.get('orgName')} hooks={hooks} canManage={canManage(session)} eventTypes={types} error={error ?? (canManage(session) ? undefined : 'Webhooks are managed by Owners and Admins.')} />, status)
    }
    const hookPage = async (c: DashContext, id: string, extra: { notice?: string; error?: string } = {}) => {
      const hook = await run(c, 'webhooks.get', { params: { id } })
      const deliveries = (await run(c, 'webhooks.deliveries', { params: { id }, query: { limit: '50' } })).data
      return html(c, <WebhookPage session={c.get('session')} orgName={c.get('orgName')} hook={hook} deliveries={deliveries} canManage={canManage(c.get('session'))} {...extra} />)
    }
    app.get('/webhooks', (c) => hooksPage(c as unknown as DashContext))
    app.post('/webhooks', async (c) => {
      const dc = c as unknown as DashContext
      const form = await c.req.formData()
      try {
        const events = String(form.get('events') ?? '*').split(',').map((s) => s.trim()).filter(Boolean)
        const hook = await run(dc, 'webhooks.create', { body: { url: String(form.get('url') ?? ''), events, description: String(form.get('description') ?? '') } })
        return c.redirect(`/webhooks/${hook.id}`, 303)
      } catch (error) {
        return hooksPage(dc, message(error), error instanceof ApiError ? error.status : 500)
      }
    })
    app.get('/webhooks/:id', async (c) => {
      try {
        return await hookPage(c as unknown as DashContext, c.req.param('id'))
      } catch (error) {
        return hooksPage(c as unknown as DashContext, message(error), 404)
      }
    })
    app.post('/webhooks/:id/test', async (c) => {
      const dc = c as unknown as DashContext
      try {
        await run(dc, 'webhooks.test', { params: { id: c.req.param('id') } })
        return hookPage(dc, c.req.param('id'), { notice: 'Test event queued.' })
      } catch (error) {
        return hooksPage(dc, message(error), error instanceof ApiError ? error.status : 500)
      }
    })
    app.post('/webhooks/:id/deliveries/:did/retry', async (c) => {
      const dc = c as unknown as DashContext
      try {
        await run(dc, 'webhooks.retry_delivery', { params: { id: c.req.param('id'), delivery_id: c.req.param('did') } })
        return hookPage(dc, c.req.param('id'), { notice: 'Delivery queued again.' })
      } catch (error) {
        return hooksPage(dc, message(error), error instanceof ApiError ? error.status : 500)
      }
    })

    app.get('/usage', async (c) => {
      const dc = c as unknown as DashContext
      const session = dc.get('session')
      if (!canManage(session)) return html(c, <MessagePage title="Usage" message="Usage and the audit log are for Owners and Admins." />, 403)
      const usage = await run(dc, 'usage.get', { query: { days: '30' } })
      const audit = (await run(dc, 'audit_log.list', { query: { limit: '50' } })).data
      const days: string[] = []
      for (let d = new Date(usage.from + 'T00:00:00Z'); d.toISOString().slice(0, 10) <= usage.to; d = new Date(d.getTime() + 86_400_000)) days.push(d.toISOString().slice(0, 10))
      const byKey = new Map<string, { label: string; perDay: number[]; ok: number; client: number; limited: number; server: number }>()
      for (const row of usage.data as { key_id: string; key_prefix: string | null; key_name: string | null; day: string; outcome: string; count: number }[]) {
        const entry = byKey.get(row.key_id) ?? { label: `${row.key_name ?? 'deleted key'} (${row.key_prefix ?? row.key_id.slice(0, 8)}…)`, perDay: days.map(() => 0), ok: 0, client: 0, limited: 0, server: 0 }
        entry.perDay[days.indexOf(row.day)]! += row.count
        if (row.outcome === '2xx') entry.ok += row.count
        else if (row.outcome === '4xx') entry.client += row.count
        else if (row.outcome === '429') entry.limited += row.count
        else entry.server += row.count
        byKey.set(row.key_id, entry)
      }
      const chart = { labels: days.map((d) => d.slice(5)), datasets: [...byKey.values()].map((k) => ({ label: k.label, data: k.perDay })) }
      const totals = [...byKey.values()].map((k) => ({ key: k.label, ok: k.ok, client: k.client, limited: k.limited, server: k.server }))
      return html(c, <UsagePage session={session} orgName={dc.get('orgName')} chart={chart} totals={totals} audit={audit} />)
    })

    app.get('/ai', (c) => {
      const dc = c as unknown as DashContext
      const url = deps.urls.publicUrl
      return html(c, <AiPage session={dc.get('session')} orgName={dc.get('orgName')} endpoint={mcpEndpoint(url)} config={mcpClientConfig(url)} inspector={mcpInspectorCommand(url)} />)
    })
  }
}
