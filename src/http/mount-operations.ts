import { createHash } from 'node:crypto'
import type { Context, Hono } from 'hono'
import type { Logger } from 'pino'
import type { RequestMeta } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import type { Operation, OperationRegistry } from '../core/operation.js'
import type { IdempotencyStore } from '../idempotency/idempotency-store.js'
import { callerFromKey, type OperationExecutor } from '../runtime/execute-operation.js'
import type { AuthGuard } from './auth-guard.js'
import type { HttpEnv } from './env.js'
import { errorResponse } from './on-error.js'
import { readBody } from './read-body.js'
import { requestHeader } from './request-header.js'
import type { RequestObserver } from './request-observer.js'
import { setResponseHeader } from './response-header.js'

export const API_BASE = '/api/v1'

export interface MountDeps {
  registry: OperationRegistry
  executor: OperationExecutor
  guard: AuthGuard
  idempotency: IdempotencyStore
  observers: RequestObserver[]
  log: Logger
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/

export function toHonoPath(path: string): string {
  return API_BASE + path.replace(/\{(\w+)\}/g, ':$1')
}

/** Registers every operation of the registry as a Hono route: nothing is registered by hand. */
export function mountOperations(app: Hono<HttpEnv>, deps: MountDeps): void {
  for (const op of deps.registry.all()) {
    // Without a body or an Idempotency-Key to honour, input is the path and the query alone.
    const direct = !op.body && !(op.method === 'post' && op.idempotent)
    app.on(op.method.toUpperCase(), toHonoPath(op.path), (c) => handle(c, op, deps, direct))
  }
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>

async function handle(c: Context<HttpEnv>, op: Operation, deps: MountDeps, direct: boolean): Promise<Response> {
  const started = performance.now()
  // One reading of the clock for the key's expiry, the rate limit and the usage day.
  const at = Date.now()
  const meta = { requestId: c.get('requestId'), serverRequestId: c.get('serverRequestId'), clientIp: c.get('clientIp'), userAgent: requestHeader(c, 'user-agent') }
  c.set('operation', op)
  let response: Response
  let principal
  try {
    // Both answer without a promise on the common path (a cached key, the in-process limiter).
    const checked = deps.guard.check(requestHeader(c, 'authorization'), requestHeader(c, 'x-api-key'), meta.clientIp, at)
    const auth = checked instanceof Promise ? await checked : checked
    c.set('auth', auth)
    principal = auth.principal
    deps.executor.authorize(op, principal)
    // A 429 carries the same headers through its ApiError.
    const admitted = deps.executor.admit(op, callerFromKey(auth), at)
    const { headers } = admitted instanceof Promise ? await admitted : admitted
    setResponseHeader(c, 'RateLimit-Policy', headers['RateLimit-Policy'])
    setResponseHeader(c, 'RateLimit', headers.RateLimit)
    response = direct
      ? send(c, await deps.executor.run(op, principal, { params: op.params ? (c.req.param() as Record<string, string>) : NO_PARAMS, query: c.req.query() }, meta))
      : await respond(c, op, deps, principal, meta)
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    response = errorResponse(c, error)
  }
  const outcome = { operation: op, principal, status: response.status, durationMs: performance.now() - started, at }
  for (const observe of deps.observers) observe(outcome)
  return response
}

async function respond(
  c: Context<HttpEnv>,
  op: Operation,
  deps: MountDeps,
  principal: NonNullable<HttpEnv['Variables']['auth']>['principal'],
  meta: RequestMeta,
): Promise<Response> {
  const body = op.body ? await readBody(c, op) : undefined
  // An operation without path parameters skips Hono's decoding of them.
  const raw = { params: op.params ? (c.req.param() as Record<string, string>) : {}, query: c.req.query(), body: body?.value }

  const idemKey = op.method === 'post' && op.idempotent ? c.req.header('idempotency-key') : undefined
  if (idemKey === undefined) return send(c, await deps.executor.run(op, principal, raw, meta))

  if (!IDEMPOTENCY_KEY.test(idemKey)) {
    throw new ApiError('validation_error', 'Idempotency-Key must be 1–255 visible ASCII characters', { fields: { 'Idempotency-Key': 'is invalid' } })
  }
  const owner = principal.kind === 'reseller_key' ? `reseller:${principal.resellerId}` : `org:${principal.orgId}`
  const fingerprint = createHash('sha256')
    .update(`${op.method} ${c.req.path}\n`)
    .update(body?.raw ?? new Uint8Array())
    .digest('hex')
  const claim = await deps.idempotency.claim(owner, idemKey, fingerprint)
  if (claim.kind === 'mismatch') throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request')
  if (claim.kind === 'in_progress') throw new ApiError('conflict', 'A request with this Idempotency-Key is still in progress; retry shortly')
  if (claim.kind === 'replay') {
    return c.body(claim.body, claim.status as 200, { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true', 'Cache-Control': 'no-store' })
  }
  try {
    const result = await deps.executor.run(op, principal, raw, meta)
    const stored = 'body' in result ? JSON.stringify(redactSecrets(op, result.body)) : 'null'
    await deps.idempotency.complete(owner, idemKey, result.status, stored)
    return send(c, result)
  } catch (error) {
    // A client error is the answer to this request and is replayed; anything else frees the key for a retry.
    if (error instanceof ApiError && error.status < 500) {
      await deps.idempotency.complete(owner, idemKey, error.status, JSON.stringify(error.toEnvelope(meta.requestId)))
    } else {
      await deps.idempotency.release(owner, idemKey)
    }
    throw error
  }
}

/** The stored copy of a mint never holds the secret: it is null in every replay. */
function redactSecrets(op: Operation, body: unknown): unknown {
  if (!op.secretFields?.length) return body
  return op.secretFields.reduce((copy, field) => redactPath(copy, field.split('.')), body)
}

/** `recipients.signing_url`: a dotted path that walks into objects and through every element of an array. */
function redactPath(value: unknown, path: string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => redactPath(item, path))
  if (value === null || typeof value !== 'object' || path.length === 0) return value
  const [head, ...rest] = path as [string, ...string[]]
  if (!(head in value)) return value
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) }
  copy[head] = rest.length === 0 ? null : redactPath(copy[head], rest)
  return copy
}

function send(c: Context<HttpEnv>, result: Awaited<ReturnType<OperationExecutor['run']>>): Response {
  setResponseHeader(c, 'Cache-Control', 'no-store')
  if ('file' in result) {
    const headers: Record<string, string> = { 'Content-Type': result.file.contentType }
    if (result.file.filename) headers['Content-Disposition'] = `attachment; filename="${result.file.filename.replace(/["\\\r\n]/g, '_')}"`
    return c.body(result.file.bytes as Uint8Array<ArrayBuffer>, result.status as 200, headers)
  }
  return c.json(result.body as object, result.status as 200)
}
