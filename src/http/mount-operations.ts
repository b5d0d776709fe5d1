import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { Context, Hono } from 'hono'
import { ApiError } from '../core/errors.js'
import type { Operation, OperationRegistry, RawRequestBody, StreamResult } from '../core/operation.js'
import type { Answer, Exchange, OperationExecutor } from '../runtime/execute-operation.js'
import type { DecodedBody, RequestBody } from '../runtime/exchange.js'
import type { HttpEnv } from './env.js'
import { errorResponse } from './on-error.js'
import { readBody } from './read-body.js'
import { incomingOf, requestHeader } from './request-header.js'
import { pendingNodeResponse, setResponseHeader } from './response-header.js'
import { responseOf } from '../runtime/stream-answer.js'

export const API_BASE = '/api/v1'

export interface MountDeps {
  registry: OperationRegistry
  executor: OperationExecutor
  /** Run operations in the check phase of their turn (see handleInCheckPhase); on unless false. */
  turnBatching?: boolean | undefined
}

export function toHonoPath(path: string): string {
  return API_BASE + path.replace(/\{(\w+)\}/g, ':$1')
}

/**
 * Registers every operation of the registry as a Hono route: nothing is registered by hand. Each
 * route only translates: the HTTP request to one `execute` call, and the exchange back to HTTP.
 */
export function mountOperations(app: Hono<HttpEnv>, deps: MountDeps): void {
  for (const op of deps.registry.all()) {
    app.on(op.method.toUpperCase(), toHonoPath(op.path), deps.turnBatching === false ? (c) => handle(c, op, deps.executor) : (c) => handleInCheckPhase(c, op, deps.executor))
  }
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>

/** The request body, read by the pipeline once the caller is admitted. */
class HttpBody implements RequestBody {
  constructor(private readonly c: Context<HttpEnv>) {}

  read(op: Operation): Promise<DecodedBody> {
    return readBody(this.c, op)
  }

  /**
   * The body unread. Served by Node, the headers come as Node parsed them and the web Request
   * (its Headers, its body stream) is only built when a handler asks for it, or when the request
   * has a body at all: a GET through the gateway builds neither.
   */
  stream(): RawRequestBody {
    const c = this.c
    const { url } = c.req
    const at = url.indexOf('?')
    const incoming = incomingOf(c)
    const sent = incoming?.headers
    const hasBody = !sent || (sent['content-length'] !== undefined && sent['content-length'] !== '0') || sent['transfer-encoding'] !== undefined
    return {
      stream: hasBody ? c.req.raw.body : null,
      contentType: requestHeader(c, 'content-type'),
      query: at < 0 ? '' : url.slice(at + 1),
      get headers() {
        return c.req.raw.headers
      },
      ...(sent ? { nodeHeaders: sent } : {}),
    }
  }
}

/**
 * Runs an operation in the check phase of the event-loop turn its request was read in
 * (`setImmediate`), not inside the socket's read callback: the requests of one turn are all read
 * first, then all run and answered together. Measured on the shipped server (`/health`, 50
 * connections, same run), that cut CPU per request by 13–30% over two runs — the same effect the
 * Redis limiter's per-turn batch showed — at the cost of one turn's hop for a request alone in its turn.
 * `PORTICO_TURN_BATCHING=0` answers inside the read callback instead.
 */
function handleInCheckPhase(c: Context<HttpEnv>, op: Operation, executor: OperationExecutor): Promise<Response> {
  return new Promise((resolve, reject) =>
    setImmediate(() => {
      try {
        resolve(handle(c, op, executor))
      } catch (error) {
        reject(error)
      }
    }),
  )
}

function handle(c: Context<HttpEnv>, op: Operation, executor: OperationExecutor): Response | Promise<Response> {
  c.set('operation', op)
  const done = executor.execute({
    op,
    doorway: 'rest',
    credentials: { authorization: requestHeader(c, 'authorization'), apiKey: requestHeader(c, 'x-api-key') },
    // An operation without path parameters skips Hono's decoding of them.
    params: op.params ? (c.req.param() as Record<string, string>) : NO_PARAMS,
    query: c.req.query(),
    body: op.body || op.rawBody ? new HttpBody(c) : undefined,
    meta: { requestId: c.get('requestId'), serverRequestId: c.get('serverRequestId'), clientIp: c.get('clientIp'), userAgent: requestHeader(c, 'user-agent') },
    idempotencyKey: op.method === 'post' && op.idempotent ? requestHeader(c, 'idempotency-key') : undefined,
    at: Date.now(),
  })
  return done instanceof Promise ? done.then((x) => respond(c, x)) : respond(c, done)
}

function respond(c: Context<HttpEnv>, x: Exchange): Response {
  c.set('principal', x.principal)
  const { headers, answer, error } = x
  if (answer?.kind === 'passthrough') return passthrough(c, answer.response, headers)
  if (answer?.kind === 'stream') return sendStream(c, answer.result, headers)
  if (headers) for (const name in headers) setResponseHeader(c, name, headers[name]!)
  if (answer) return send(c, answer)
  if (error instanceof ApiError) return errorResponse(c, error)
  // Hono's onError logs it and answers 500 without details.
  throw error
}

function send(c: Context<HttpEnv>, answer: Exclude<Answer, { kind: 'passthrough' | 'stream' }>): Response {
  if (answer.kind === 'replay') {
    return c.body(answer.json, answer.status as 200, { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true', 'Cache-Control': 'no-store' })
  }
  setResponseHeader(c, 'Cache-Control', 'no-store')
  if (answer.kind === 'file') {
    const { file } = answer
    const headers: Record<string, string> = { 'Content-Type': file.contentType }
    if (file.filename) headers['Content-Disposition'] = `attachment; filename="${file.filename.replace(/["\\\r\n]/g, '_')}"`
    return c.body(file.bytes as Uint8Array<ArrayBuffer>, answer.status as 200, headers)
  }
  return c.json(answer.body as object, answer.status as 200)
}

/** A handler's own Response, streamed as it is, with Portico's request id and rate-limit headers. */
function passthrough(c: Context<HttpEnv>, response: Response, ours: Record<string, string> | undefined): Response {
  const headers = new Headers(response.headers)
  headers.set('X-Request-Id', c.get('requestId'))
  if (ours) for (const name in ours) headers.set(name, ours[name]!)
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}

/**
 * A streamed answer (the gateway's), with Portico's request id and rate-limit headers. Served by
 * Node it goes straight onto Node's response, piped from the upstream's stream with its
 * back-pressure: no web Response or web stream is built for it.
 */
function sendStream(c: Context<HttpEnv>, result: StreamResult, ours: Record<string, string> | undefined): Response {
  const outgoing = pendingNodeResponse(c)
  if (!outgoing) return responseOf(result, { 'X-Request-Id': c.get('requestId'), ...ours })
  c.set('sentStatus', result.status)
  // Headers already set on Node's response (request id, security defaults) stay unless the answer names them.
  outgoing.writeHead(result.status, ours ? { ...result.headers, ...ours } : result.headers)
  const { body } = result
  if (!body) {
    outgoing.end()
    return RESPONSE_ALREADY_SENT
  }
  // pipe() rather than stream.pipeline(), which makes (and aborts) an AbortController per call.
  // An upstream that breaks off mid-answer closes the client's connection instead of leaving it
  // hanging; a client that goes away destroys the upstream's body, which frees its connection.
  body.once('error', () => outgoing.destroy())
  outgoing.once('close', () => {
    if (!body.readableEnded) body.destroy()
  })
  body.pipe(outgoing)
  return RESPONSE_ALREADY_SENT
}
