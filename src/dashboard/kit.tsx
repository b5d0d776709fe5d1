import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { Logger } from 'pino'
import type { UpstreamHealth } from '../gateway/upstream-client.js'
import type { UpstreamSpec } from '../gateway/upstreams-file.js'
import type { RequestMeta } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import type { Operation, OperationRegistry, RawRequestBody } from '../core/operation.js'
import type { UserPrincipal } from '../core/principal.js'
import { allScopes } from '../core/scopes.js'
import type { TransactionDeps } from '../core/transaction.js'
import type { HttpEnv } from '../http/env.js'
import type { IdempotencyStore } from '../idempotency/idempotency-store.js'
import type { AccountLinks } from '../members/account-links.js'
import type { MemberService } from '../members/member-service.js'
import type { Mailer } from '../mail/mailer.js'
import type { RateLimiter } from '../ratelimit/limiter.js'
import type { DecodedBody, RequestBody } from '../runtime/exchange.js'
import type { OperationExecutor } from '../runtime/execute-operation.js'
import type { CoreDb } from '../storage/db.js'
import type { FirstRun } from './first-run.js'
import type { Viewer } from './layout.js'
import { MessagePage } from './pages/auth.js'
import type { Account, SessionStore } from './session-store.js'

export interface DashboardDeps {
  db: CoreDb
  registry: OperationRegistry
  executor: OperationExecutor
  members: MemberService
  sessions: SessionStore
  firstRun: FirstRun
  accountLinks: AccountLinks
  mail: Mailer
  limiter: RateLimiter
  idempotency: IdempotencyStore
  tx: TransactionDeps
  urls: { readonly publicUrl: string }
  log: Logger
  /** The services declared in PORTICO_UPSTREAMS (the Upstreams page), when there are any. */
  gateway?: { readonly upstreams: UpstreamSpec[]; health(): UpstreamHealth[] } | undefined
}

/** The signed-in user of one request, as pages and handlers see them. */
export interface SignedIn extends Viewer {
  principal: UserPrincipal
  /** Owners and Admins change things; Members only look. */
  canManage: boolean
  /** The posted form, its CSRF token already checked (POST only). */
  form: FormData
}

type Ctx = Context<HttpEnv>
type Body = Parameters<Ctx['html']>[0]

/**
 * The sandbox every page runs in: only our own files may load, nothing inline may run, nothing may
 * frame us, and forms post only to us.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
const SESSION_HOURS = 12

export const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))
export const formText = (form: FormData, name: string) => String(form.get(name) ?? '').trim()
export const looksLikeEmail = (s: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s) && s.length <= 254

/** Role → scopes of the principal the dashboard acts as: the same ceilings a key of those scopes has. */
export function principalOf(me: Pick<SignedIn, 'session'>): UserPrincipal {
  const { session } = me
  const scopes = session.role === 'member' ? (['read'] as const) : allScopes
  return { kind: 'user', orgId: session.orgId, userId: session.userId, email: session.email, role: session.role, scopes: [...scopes], orgStatus: session.orgStatus }
}

/** Request plumbing shared by the dashboard's routes: sessions, CSRF, rendering and calling operations. */
export class DashboardKit {
  /** Forms are small; a large body is refused before it is read. */
  readonly limit: MiddlewareHandler = bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text('Form too large', 413) })

  constructor(readonly deps: DashboardDeps) {}

  get secure(): boolean {
    return this.deps.urls.publicUrl.startsWith('https:')
  }

  /** `__Host-` cookies over HTTPS: the browser then insists on Secure, Path=/ and no Domain. */
  cookieName(base: 'session' | 'csrf'): string {
    return `${this.secure ? '__Host-' : ''}portico_${base}`
  }

  #cookieOptions() {
    return { httpOnly: true, sameSite: 'Lax' as const, path: '/', secure: this.secure }
  }

  html(c: Ctx, body: Body, status = 200): Response | Promise<Response> {
    c.header('Content-Security-Policy', CSP)
    // Pages may carry a key or a secret; none is ever kept by a cache or the back button.
    c.header('Cache-Control', 'no-store')
    return c.html(body, status as 200)
  }

  meta(c: Ctx): RequestMeta {
    return { requestId: c.get('requestId'), serverRequestId: c.get('serverRequestId'), clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') }
  }

  /** Pre-session CSRF for the sign-in and setup forms: a random cookie the form must echo. */
  preToken(c: Ctx): string {
    let token = getCookie(c, this.cookieName('csrf'))
    if (!token) {
      token = randomBytes(24).toString('base64url')
      setCookie(c, this.cookieName('csrf'), token, { ...this.#cookieOptions(), maxAge: 3600 })
    }
    return token
  }

  preValid(c: Ctx, form: FormData): boolean {
    const cookie = getCookie(c, this.cookieName('csrf'))
    return Boolean(cookie) && sameSecret(cookie!, String(form.get('_csrf') ?? ''))
  }

  async signIn(c: Ctx, userId: string, orgId: string): Promise<void> {
    const token = await this.deps.sessions.create(userId, orgId)
    setCookie(c, this.cookieName('session'), token, { ...this.#cookieOptions(), maxAge: SESSION_HOURS * 3600 })
    deleteCookie(c, this.cookieName('csrf'), { path: '/', secure: this.secure })
  }

  async signOut(c: Ctx): Promise<void> {
    await this.deps.sessions.destroy(getCookie(c, this.cookieName('session')))
    deleteCookie(c, this.cookieName('session'), { path: '/', secure: this.secure })
  }

  sessionToken(c: Ctx): string | undefined {
    return getCookie(c, this.cookieName('session'))
  }

  /**
   * The gate in front of every signed-in page and form: no session (`csrf` undefined) → the
   * sign-in page (GET) or 401; a POST whose `_csrf` does not match the session's secret → 403,
   * before any handler sees it. Otherwise the posted form (empty for a GET).
   */
  async #gate(c: Ctx, csrf: string | undefined, inOrganization: boolean): Promise<FormData | Response> {
    if (csrf === undefined) {
      if (c.req.method === 'GET') return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`)
      return this.html(c, <MessagePage title="Signed out" message="Your session has ended. Sign in again." />, 401)
    }
    if (c.req.method !== 'POST') return new FormData()
    const posted = await c.req.formData().catch(() => undefined)
    if (!posted || !sameSecret(String(posted.get('_csrf') ?? ''), csrf)) {
      return this.html(c, <MessagePage title="Request refused" message="The form is missing its security token. Reload the page and try again." signedIn={inOrganization} />, 403)
    }
    return posted
  }

  /** Wraps a page or form handler of the signed-in user's organisation (see `#gate`). */
  signedIn(handler: (c: Ctx, me: SignedIn) => Response | Promise<Response>) {
    return async (c: Ctx): Promise<Response> => {
      const found = await this.deps.sessions.find(this.sessionToken(c))
      const form = await this.#gate(c, found?.csrf, true)
      if (form instanceof Response) return form
      const session = found!
      const [orgs, invitations] = await Promise.all([this.deps.sessions.orgsOf(session.userId), this.deps.members.invitations.countForUser(session.userId)])
      const org = orgs.find((o) => o.id === session.orgId)!
      const me: SignedIn = {
        session,
        orgs,
        org,
        form,
        invitations,
        canManage: session.role !== 'member',
        principal: principalOf({ session }),
        upstreams: session.role === 'owner' && (this.deps.gateway?.upstreams.length ?? 0) > 0,
      }
      return handler(c, me)
    }
  }

  /**
   * Like `signedIn`, for the pages a user needs before they belong to any organisation (their
   * invitations): a session is enough, with the same CSRF check on every POST.
   */
  signedInAccount(handler: (c: Ctx, account: Account, form: FormData) => Response | Promise<Response>) {
    return async (c: Ctx): Promise<Response> => {
      const account = await this.deps.sessions.findAccount(this.sessionToken(c))
      const form = await this.#gate(c, account?.csrf, false)
      if (form instanceof Response) return form
      return handler(c, account!, form)
    }
  }

  /**
   * A suspended organisation is read-only for its people too: the executor refuses writes through
   * operations, and the dashboard's own forms (members) ask here.
   */
  assertWritable(me: SignedIn): void {
    if (me.session.orgStatus === 'suspended') {
      throw new ApiError('organization_suspended', `${me.org.name} is suspended: nothing can be changed until it is resumed`)
    }
  }

  /**
   * Runs an operation as the signed-in user through the same pipeline as the API: their role's
   * real scopes, rate limits, validation, audit and events. Members are refused here with a plain
   * sentence, and again by the scope check.
   */
  async act<T = any>(c: Ctx, me: SignedIn, opId: string, raw: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {}): Promise<T> {
    if (!me.canManage) throw new ApiError('insufficient_scope', 'Only Owners and Admins can do this')
    return this.#execute<T>(c, me, this.#op(opId), raw)
  }

  /**
   * Reads through a GET operation as the signed-in user, scope check included: a Member (`read`)
   * is refused the admin reads (keys, webhooks, usage, audit log), as a `read` key is. Pages ask
   * `can` first and show a Member what their reads allow.
   */
  async view<T = any>(c: Ctx, me: SignedIn, opId: string, raw: { params?: Record<string, string>; query?: Record<string, string> } = {}): Promise<T> {
    const op = this.#op(opId)
    if (op.method !== 'get') throw new Error(`${opId} is not a read`)
    return this.#execute<T>(c, me, op, raw)
  }

  /** Whether this deployment has the operation and the signed-in user's scopes allow it. */
  can(me: SignedIn, opId: string): boolean {
    const op = this.deps.registry.get(opId)
    return op !== undefined && this.deps.executor.isCallable(op, me.principal)
  }

  async #execute<T>(c: Ctx, me: SignedIn, op: Operation, raw: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown }): Promise<T> {
    const x = await this.deps.executor.execute({
      op,
      doorway: 'dashboard',
      principal: me.principal,
      params: raw.params,
      query: raw.query,
      body: raw.body === undefined ? undefined : new FormBody(raw.body),
      meta: this.meta(c),
      at: Date.now(),
    })
    if (x.answer) return (x.answer.kind === 'json' ? x.answer.body : undefined) as T
    throw x.error
  }

  has(opId: string): boolean {
    return this.deps.registry.get(opId) !== undefined
  }

  /**
   * Runs a form's action at most once per rendering of the form (its `_once` field), so reloading
   * a result page, or a double click, never mints a second key. A repeat answers `repeated`.
   */
  async once<T>(me: SignedIn, fingerprint: string, fn: () => Promise<T>): Promise<{ repeated: false; value: T } | { repeated: true }> {
    const nonce = String(me.form.get('_once') ?? '')
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(nonce)) return { repeated: false, value: await fn() }
    const owner = `user:${me.session.userId}`
    const claim = await this.deps.idempotency.claim(owner, `dashboard:${nonce}`, createHash('sha256').update(fingerprint).digest('hex'))
    if (claim.kind !== 'claimed') return { repeated: true }
    try {
      const value = await fn()
      // Only the fact is kept, never the answer: a replay has no key to show.
      await this.deps.idempotency.complete(owner, `dashboard:${nonce}`, 200, 'null')
      return { repeated: false, value }
    } catch (error) {
      await this.deps.idempotency.release(owner, `dashboard:${nonce}`)
      throw error
    }
  }

  /** An expected failure as a sentence and a status for the page; anything else is a 500. */
  failure(error: unknown): { message: string; status: number } {
    if (!(error instanceof ApiError)) throw error
    return { message: error.code === 'insufficient_scope' ? `Not allowed: ${error.message}.` : error.message, status: error.status }
  }

  #op(opId: string) {
    const op = this.deps.registry.get(opId)
    if (!op) throw new ApiError('not_found', `This deployment has no ${opId} operation`)
    return op
  }

}

/** A form's fields as an operation's body. The dashboard sends no Idempotency-Key (`once` guards its forms), so no bytes are fingerprinted. */
class FormBody implements RequestBody {
  constructor(private readonly value: unknown) {}

  read(): DecodedBody {
    return { value: this.value, raw: new Uint8Array() }
  }

  stream(): RawRequestBody {
    return { stream: new Blob([JSON.stringify(this.value)]).stream(), contentType: 'application/json' }
  }
}
