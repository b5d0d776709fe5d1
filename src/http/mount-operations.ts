import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { Context, Hono } from 'hono'
import { ApiError } from '../core/errors.js'
import type { Operation, OperationRegistry, RawRequestBody, StreamResult } from '../core/operation.js'
import type { Exchange, OperationExecutor } from '../runtime/execute-operation.js'
import type { DecodedBody, RequestBody } from '../runtime/exchange.js'
import type { HttpEnv } from './env.js'
import { honoBody, readBody } from './read-body.js'
import { API_BASE, restCall, toHonoPath, writeStream } from './rest-call.js'
import { errorReply, headerRecord, wholeReply, type WholeReply } from './rest-reply.js'
import { incomingOf, requestHeader, sendsBody } from './request-header.js'
import { pendingNodeResponse, setResponseHeader } from './response-header.js'
import { responseOf } from '../runtime/stream-answer.js'

export { API_BASE, toHonoPath }

export interface MountDeps {
  registry: OperationRegistry
  executor: OperationExecutor
  /** Run operations in the check phase of their turn (see handleInCheckPhase); on unless false. */
  turnBatching?: boolean | undefined
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
    return readBody(honoBody(this.c), op)
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
    const hasBody = !sent || sendsBody(sent)
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
  const done = executor.execute(
    restCall(
      op,
      (name) => requestHeader(c, name),
      // An operation without path parameters skips Hono's decoding of them.
      op.params ? (c.req.param() as Record<string, string>) : NO_PARAMS,
      c.req.query(),
      new HttpBody(c),
      { requestId: c.get('requestId'), serverRequestId: c.get('serverRequestId'), clientIp: c.get('clientIp'), userAgent: requestHeader(c, 'user-agent') },
    ),
  )
  return done instanceof Promise ? done.then((x) => respond(c, x)) : respond(c, done)
}

function respond(c: Context<HttpEnv>, x: Exchange): Response {
  c.set('principal', x.principal)
  const { headers, answer, error } = x
  if (answer?.kind === 'passthrough') return passthrough(c, answer.response, headers)
  if (answer?.kind === 'stream') return sendStream(c, answer.result, headers)
  if (answer) return send(c, wholeReply(answer, headers))
  if (error instanceof ApiError) return send(c, errorReply(error, c.get('requestId'), headers))
  // Hono's onError logs it and answers 500 without details, with the exchange's headers.
  if (headers) for (const name in headers) setResponseHeader(c, name, headers[name]!)
  throw error
}

function send(c: Context<HttpEnv>, reply: WholeReply): Response {
  return c.body(reply.body as string, reply.status as 200, headerRecord(reply.headers))
}

/** A handler's own Response, streamed as it is, with Portico's request id and rate-limit headers. */
function passthrough(c: Context<HttpEnv>, response: Response, ours: Record<string, string> | undefined): Response {
  const headers = new Headers(response.headers)
  headers.set('X-Request-Id', c.get('requestId'))
  if (ours) for (const name in ours) headers.set(name, ours[name]!)
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
}

/** A streamed answer (the gateway's): served by Node, it goes straight onto Node's response (see writeStream). */
function sendStream(c: Context<HttpEnv>, result: StreamResult, ours: Record<string, string> | undefined): Response {
  const outgoing = pendingNodeResponse(c)
  if (!outgoing) return responseOf(result, { 'X-Request-Id': c.get('requestId'), ...ours })
  c.set('sentStatus', result.status)
  writeStream(outgoing, result.status, ours ? { ...result.headers, ...ours } : result.headers, result.body)
  return RESPONSE_ALREADY_SENT
}
