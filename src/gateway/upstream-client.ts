import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import { Pool, type Dispatcher } from 'undici'
import { ApiError } from '../core/errors.js'
import { StreamResult } from '../core/operation.js'
import { IdentitySigner, type IdentityCaller } from './identity.js'
import type { UpstreamSpec } from './upstreams-file.js'

/** Hop-by-hop fields (RFC 9110 §7.6.1), never forwarded either way, with whatever `Connection` names. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade'])

/**
 * Request fields that stay with Portico: the client's credentials and cookies, what the connection
 * to the upstream sets itself, and every `Portico-*` field, so that a client cannot pose as
 * another organisation by sending them.
 */
const NOT_FORWARDED = new Set(['authorization', 'x-api-key', 'cookie', 'host', 'content-length', 'content-type', 'expect', 'x-request-id'])

/** Answer fields Portico drops or sets itself. */
const NOT_RETURNED = new Set(['set-cookie', 'set-cookie2', 'x-request-id', 'ratelimit', 'ratelimit-policy'])

/** Statuses whose answer has no body (RFC 9110), for which a web Response must be built without one. */
const NULL_BODY = new Set([101, 204, 205, 304])

const NONE: ReadonlySet<string> = new Set()

/** `Connection` values that name no field (the usual ones), answered without splitting. */
const PLAIN_CONNECTION = new Set(['keep-alive', 'close', 'Keep-Alive', 'Close'])

/** The fields a `Connection` header names (hop-by-hop for this connection only); none, shared, when there is no such header. */
function connectionTokens(value: string | string[] | null | undefined): ReadonlySet<string> {
  if (!value || (typeof value === 'string' && PLAIN_CONNECTION.has(value))) return NONE
  const out = new Set<string>()
  for (const v of Array.isArray(value) ? value : [value]) for (const t of v.split(',')) if (t.trim()) out.add(t.trim().toLowerCase())
  return out
}

/** Request headers as Node parses them: lower-case names, a repeated field as a list (or joined). */
export type ForwardHeaders = Readonly<Record<string, string | string[] | undefined>>

export const firstValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value)

/** A web `Headers` as such a record (a doorway that holds no Node request). */
export function headerRecord(headers: Headers): ForwardHeaders {
  const out: Record<string, string> = {}
  headers.forEach((value, name) => {
    out[name] = value
  })
  return out
}

export interface ForwardRequest {
  method: string
  /** The upstream path (parameters filled in) and query, as sent to the upstream: `/v1/docs/42?x=1`. */
  target: string
  /** The client's request headers. */
  headers: ForwardHeaders
  /** The forwarded body's content type (the client's, or JSON for a tool call's arguments). */
  contentType?: string | undefined
  /** The body bytes, read (capped) beforehand so that their digest can be signed. */
  body: Uint8Array | undefined
  /** Who calls: the claims and headers that name the caller. */
  caller: IdentityCaller
  requestId: string
  /** The client's request: when it goes away, so does the upstream request. */
  signal?: AbortSignal | undefined
}

export interface UpstreamHealth {
  name: string
  requests: number
  failures: number
  /** Time to the upstream's answer headers, last call and moving average (ms). */
  lastLatencyMs: number | null
  averageLatencyMs: number | null
  lastSuccessAt: string | null
  lastError: { code: 'upstream_unavailable' | 'upstream_timeout'; detail: string; at: string } | null
}

/** The digest of no bytes, signed for every request without a body. */
const EMPTY_SHA256 = createHash('sha256').digest('hex')

/**
 * One upstream: a pooled keep-alive connection set (undici), the identity signer, and health
 * counters. Answers pass through as they come (status, headers, body streamed); Portico's own
 * failures are ApiErrors that never name the upstream's address.
 */
export class UpstreamClient {
  readonly #pool: Pool
  readonly #signer: IdentitySigner
  readonly #base: string
  readonly #health: UpstreamHealth
  /** When the last answer came, in ms (formatted only when health is asked for). */
  #lastSuccess: number | undefined

  constructor(
    readonly spec: UpstreamSpec,
    private readonly log: Logger,
  ) {
    const url = new URL(spec.url)
    this.#base = url.pathname.replace(/\/+$/, '')
    this.#pool = new Pool(url.origin, {
      connections: 256,
      keepAliveTimeout: 30_000,
      connectTimeout: Math.min(spec.timeoutMs, 10_000),
      headersTimeout: spec.timeoutMs,
      // timeout_ms bounds the wait for the answer's headers; a streamed body may take its time.
      bodyTimeout: 0,
    })
    this.#signer = new IdentitySigner(spec.name, spec.secret)
    this.#health = { name: spec.name, requests: 0, failures: 0, lastLatencyMs: null, averageLatencyMs: null, lastSuccessAt: null, lastError: null }
  }

  health(): UpstreamHealth {
    return { ...this.#health, lastSuccessAt: this.#lastSuccess === undefined ? null : new Date(this.#lastSuccess).toISOString() }
  }

  async forward(request: ForwardRequest): Promise<StreamResult> {
    const started = performance.now()
    const body = request.body && request.body.byteLength > 0 ? request.body : undefined
    const bodySha256 = body ? createHash('sha256').update(body).digest('hex') : EMPTY_SHA256
    const { caller, requestId } = request
    // The path as the upstream receives it, below the base path of its url.
    const path = this.#base + request.target
    const method = request.method.toUpperCase()
    const token = this.#signer.sign(caller, requestId, method, path, bodySha256)

    // A flat name/value list: undici takes it as it is, with no record built and walked again.
    const headers: string[] = []
    const dropped = connectionTokens(request.headers.connection)
    for (const name in request.headers) {
      const value = request.headers[name]
      if (value === undefined || HOP_BY_HOP.has(name) || NOT_FORWARDED.has(name) || dropped.has(name) || name.startsWith('portico-')) continue
      headers.push(name, Array.isArray(value) ? value.join(', ') : value)
    }
    if (request.contentType) headers.push('content-type', request.contentType)
    headers.push('portico-org-id', caller.orgId)
    if (caller.orgExternalId) headers.push('portico-org-external-id', caller.orgExternalId)
    if (caller.keyId) headers.push('portico-key-id', caller.keyId)
    headers.push('portico-key-scopes', caller.scopes.join(' '), 'portico-request-id', requestId, 'portico-identity', token)
    if (body) headers.push('content-length', String(body.byteLength))

    // timeout_ms is undici's headersTimeout (the wait for the answer's head); a client's signal, when a doorway has one, aborts the call.
    let answer: Dispatcher.ResponseData
    this.#health.requests++
    try {
      answer = await this.#pool.request({
        method: method as Dispatcher.HttpMethod,
        path,
        headers,
        body: body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : null,
        signal: request.signal,
      })
    } catch (error) {
      throw this.#failure(error)
    }
    const latency = performance.now() - started
    this.#health.lastLatencyMs = Math.round(latency * 100) / 100
    this.#health.averageLatencyMs = Math.round(((this.#health.averageLatencyMs ?? latency) * 0.9 + latency * 0.1) * 100) / 100
    this.#lastSuccess = Date.now()
    return this.#response(answer, request.method)
  }

  #response(answer: Dispatcher.ResponseData, method: string): StreamResult {
    const out: Record<string, string | string[]> = {}
    const { headers } = answer
    const dropped = connectionTokens(headers.connection)
    for (const name in headers) {
      const value = headers[name]
      if (value === undefined || HOP_BY_HOP.has(name) || NOT_RETURNED.has(name) || dropped.has(name)) continue
      out[name] = value
    }
    const status = answer.statusCode
    if (NULL_BODY.has(status) || method.toUpperCase() === 'HEAD') {
      answer.body.resume()
      return new StreamResult(status === 101 ? 502 : status, out, null)
    }
    return new StreamResult(status, out, answer.body)
  }

  #failure(error: unknown): ApiError {
    const timedOut =
      (error as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT' ||
      (error as { code?: string }).code === 'UND_ERR_CONNECT_TIMEOUT'
    const code = timedOut ? 'upstream_timeout' : 'upstream_unavailable'
    const detail = (error as { code?: string }).code ?? (error as Error).name ?? 'error'
    this.#health.failures++
    this.#health.lastError = { code, detail: timedOut ? `no answer within ${this.spec.timeoutMs} ms` : detail, at: new Date().toISOString() }
    // The address stays in the log; the client learns only which upstream and what happened.
    this.log.warn({ upstream: this.spec.name, err: error, code }, 'upstream request failed')
    return timedOut
      ? new ApiError('upstream_timeout', `The ${this.spec.name} service did not answer within ${this.spec.timeoutMs} ms`)
      : new ApiError('upstream_unavailable', `The ${this.spec.name} service is unavailable`)
  }

  close(): Promise<void> {
    return this.#pool.close()
  }
}
