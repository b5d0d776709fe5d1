import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { Hono } from 'hono'
import { RegExpRouter } from 'hono/router/reg-exp-router'
import { SmartRouter } from 'hono/router/smart-router'
import { TrieRouter } from 'hono/router/trie-router'
import { getQueryParam, tryDecodeURIComponent } from 'hono/utils/url'
import type { Logger } from 'pino'
import { ApiError } from '../core/errors.js'
import type { Operation, OperationRegistry, RawRequestBody, StreamResult } from '../core/operation.js'
import type { Exchange, ExecuteRequest, OperationExecutor } from '../runtime/execute-operation.js'
import type { DecodedBody, RequestBody } from '../runtime/exchange.js'
import { clientAddress } from './client-ip.js'
import type { HttpEnv } from './env.js'
import { REQUEST_ID_HEADER, requestIds, type RequestIds } from './middleware/request-id.js'
import { requestLogger, type AnsweredRequest, type RequestLineWriter } from './middleware/request-log.js'
import { SECURITY_HEADERS } from './middleware/security-headers.js'
import { INTERNAL_ERROR, logUnhandled } from './on-error.js'
import { readBody, type BodySource } from './read-body.js'
import { firstValue, sendsBody } from './request-header.js'
import { API_BASE, restCall, toHonoPath, writeStream } from './rest-call.js'
import { errorReply, wholeReply, type WholeReply } from './rest-reply.js'

export interface RestOnNodeDeps {
  registry: OperationRegistry
  executor: OperationExecutor
  log: Logger
  requestLine?: RequestLineWriter | undefined
  trustProxy: number
  /** As for the Hono routes (see mount-operations.ts): run operations in the check phase of their turn. */
  turnBatching?: boolean | undefined
}

/** A route under the API's base that Hono serves (the OpenAPI document, the reference page…). */
const HONO = Symbol('hono')
type Route = Operation | typeof HONO

const PREFIX = API_BASE + '/'
const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>
const NO_QUERY: Record<string, string> = Object.freeze({}) as Record<string, string>
const SECURITY_FLAT = SECURITY_HEADERS.flat()
const SECURITY_LOWER = SECURITY_HEADERS.map(([name]) => name.toLowerCase())

/**
 * Node's request listener for the app: the operations under `/api/v1` are answered straight on
 * Node's request and response, everything else (pages, the dashboard, MCP, the docs, 404 and 405,
 * HEAD and OPTIONS, a path with percent-escapes) by Hono's. It is the same REST adapter as the
 * Hono routes — one `restCall` to the executor, the answer written from the same `wholeReply` or
 * `errorReply`, the same ids, client address, security headers and request-log line — without a
 * web Request, a web Response or a middleware chain around each call: those cost more than the
 * whole pipeline of a cached key (see the README's Performance).
 *
 * The routes are matched by Hono's own router, over the app's routes under the base in the
 * order they were added, so a route a mount added before an operation keeps its precedence.
 */
export function restOnNode(app: Hono<HttpEnv>, deps: RestOnNodeDeps, hono: RequestListener): RequestListener {
  const byRoute = new Map(deps.registry.all().map((op) => [`${op.method.toUpperCase()} ${toHonoPath(op.path)}`, op]))
  const router = new SmartRouter<Route>({ routers: [new RegExpRouter(), new TrieRouter()] })
  for (const route of app.routes) {
    if (!route.path.startsWith(PREFIX)) continue
    router.add(route.method, route.path, byRoute.get(`${route.method} ${route.path}`) ?? HONO)
  }
  // An operation without parameters that the router gives first for its own path is found by a
  // plain look-up (Portico's routes keep Hono to its trie router, which walks every segment).
  const fixed = new Map<string, Map<string, Operation>>()
  for (const op of byRoute.values()) {
    const path = toHonoPath(op.path)
    const method = op.method.toUpperCase()
    if (path.includes(':') || router.match(method, path)[0][0]?.[0] !== op) continue
    if (!fixed.has(path)) fixed.set(path, new Map())
    fixed.get(path)!.set(method, op)
  }
  const logRequest = requestLogger(deps.log, deps.requestLine)
  const { executor, log, trustProxy } = deps
  const lane: Lane = { executor, log, logRequest }

  return function restListener(req, res) {
    const url = req.url ?? '/'
    const method = req.method ?? 'GET'
    if (!url.startsWith(PREFIX) || method === 'HEAD' || method === 'OPTIONS') return hono(req, res)
    const at = url.indexOf('?')
    const path = at < 0 ? url : url.slice(0, at)
    if (path.includes('%') || path.includes('#')) return hono(req, res)
    let op = fixed.get(path)?.get(method)
    let params = NO_PARAMS
    if (!op) {
      const [matched, stash] = router.match(method, path)
      const first = matched[0]
      if (!first || first[0] === HONO) return hono(req, res)
      op = first[0]
      if (op.params) {
        params = {}
        const indices = first[1] as Record<string, number | string>
        for (const name in indices) {
          const value = stash ? (stash as string[])[indices[name] as number] : (indices[name] as string)
          if (value !== undefined) params[name] = tryDecodeURIComponent(value)
        }
      }
    }
    const call = new NodeCall(lane, req, res, op, method, path, trustProxy)
    call.request = restCall(op, (name) => firstValue(req.headers[name]), params, at < 0 ? NO_QUERY : (getQueryParam(url) as Record<string, string>), new NodeBody(req), {
      requestId: call.ids.id,
      serverRequestId: call.ids.own,
      clientIp: call.ip,
      userAgent: firstValue(req.headers['user-agent']),
    })
    if (deps.turnBatching === false) call.run()
    else setImmediate(runCall, call)
  }
}

interface Lane {
  executor: OperationExecutor
  log: Logger
  logRequest: (request: AnsweredRequest) => void
}

const runCall = (call: NodeCall) => call.run()

/** One request on Node's own request and response: its ids, its call, and how its outcome is written and logged. */
class NodeCall {
  readonly started = performance.now()
  readonly ids: RequestIds
  readonly ip: string
  request!: ExecuteRequest

  constructor(
    private readonly lane: Lane,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly op: Operation,
    readonly method: string,
    readonly path: string,
    trustProxy: number,
  ) {
    const headers = req.headers
    this.ids = requestIds(headers['x-request-id'])
    this.ip = clientAddress(firstValue(headers['x-forwarded-for']), req.socket.remoteAddress, trustProxy)
  }

  run(): void {
    let done: Exchange | Promise<Exchange>
    try {
      done = this.lane.executor.execute(this.request)
    } catch (error) {
      return this.answered(undefined, this.fail(error))
    }
    if (done instanceof Promise) {
      done.then(
        (x) => this.answered(x, this.reply(x)),
        (error: unknown) => this.answered(undefined, this.fail(error)),
      )
    } else this.answered(done, this.reply(done))
  }

  private answered(x: Exchange | undefined, status: number): void {
    const { ids } = this
    this.lane.logRequest({ serverRequestId: ids.own, correlationId: ids.correlation, method: this.method, path: this.path, op: this.op.id, status, started: this.started, ip: this.ip, principal: x?.principal })
  }

  /** Writes the exchange's outcome; returns the status sent. */
  private reply(x: Exchange): number {
    try {
      const { answer, error, headers } = x
      if (answer?.kind === 'stream') return sendStream(this.res, this.ids, answer.result, headers)
      if (answer?.kind === 'passthrough') return passthrough(this.res, this.ids, answer.response, headers)
      if (answer) return send(this.res, this.ids, wholeReply(answer, headers))
      if (error instanceof ApiError) return send(this.res, this.ids, errorReply(error, this.ids.id, headers))
      return this.fail(error, headers)
    } catch (error) {
      return this.fail(error, x.headers)
    }
  }

  /** Anything but a refusal: logged in full, answered as 500 without details (as Hono's onError does). */
  private fail(error: unknown, ours?: Record<string, string>): number {
    const { ids, res } = this
    logUnhandled(this.lane.log, error, { req_id: ids.own, correlation_id: ids.correlation, method: this.method, path: this.path })
    if (res.headersSent) {
      res.destroy()
      return 500
    }
    return send(res, ids, errorReply(INTERNAL_ERROR(), ids.id, ours))
  }
}

/** One head in one call, with the request id and the security defaults: no header is set one by one. */
function send(res: ServerResponse, ids: RequestIds, reply: WholeReply): number {
  const head: (string | number)[] = [REQUEST_ID_HEADER, ids.id]
  for (let i = 0; i < SECURITY_FLAT.length; i++) head.push(SECURITY_FLAT[i]!)
  const { headers, body } = reply
  for (let i = 0; i < headers.length; i++) head.push(headers[i]!)
  head.push('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength)
  res.writeHead(reply.status, head as string[])
  res.end(body)
  return reply.status
}

/**
 * A streamed answer (the gateway's) with one head: the request id and the security defaults unless
 * the answer names them, its own fields, then the exchange's (rate limits), which win.
 */
function sendStream(res: ServerResponse, ids: RequestIds, result: StreamResult, ours: Record<string, string> | undefined): number {
  const own = result.headers
  const head: (string | string[])[] = []
  if (!('x-request-id' in own)) head.push(REQUEST_ID_HEADER, ids.id)
  for (let i = 0; i < SECURITY_LOWER.length; i++) if (!(SECURITY_LOWER[i]! in own)) head.push(SECURITY_FLAT[2 * i]!, SECURITY_FLAT[2 * i + 1]!)
  // A field the exchange also sets (a few: the rate limits) is left out of the answer's own.
  let overridden: string[] | undefined
  if (ours) for (const name in ours) (overridden ??= []).push(name.toLowerCase())
  for (const name in own) if (!overridden?.includes(name.toLowerCase())) head.push(name, own[name]!)
  if (ours) for (const name in ours) head.push(name, ours[name]!)
  writeStream(res, result.status, head, result.body)
  return result.status
}

/** A handler's own Response, streamed as it is, with Portico's request id and rate-limit headers. */
function passthrough(res: ServerResponse, ids: RequestIds, response: Response, ours: Record<string, string> | undefined): number {
  defaults(res, ids)
  const headers: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  headers['x-request-id'] = ids.id
  if (ours) for (const name in ours) headers[name.toLowerCase()] = ours[name]!
  res.writeHead(response.status, response.statusText || undefined, headers)
  if (!response.body) {
    res.end()
    return response.status
  }
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
  body.once('error', () => res.destroy())
  res.once('close', () => {
    if (!body.readableEnded) body.destroy()
  })
  body.pipe(res)
  return response.status
}

/** The request id and the security defaults, set on the response for an answer that may name its own. */
function defaults(res: ServerResponse, ids: RequestIds): void {
  res.setHeader(REQUEST_ID_HEADER, ids.id)
  for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value)
}

/** The request body on Node's own request: read only once the caller is admitted. */
class NodeBody implements RequestBody {
  constructor(private readonly req: IncomingMessage) {}

  read(op: Operation): Promise<DecodedBody> {
    const { req } = this
    const source: BodySource = { header: (name) => firstValue(req.headers[name]), stream: () => (sendsBody(req.headers) ? req : null) }
    return readBody(source, op)
  }

  /** The body unread (the gateway's): the web Headers and web stream are only built when asked for. */
  stream(): RawRequestBody {
    return new NodeRawBody(this.req)
  }
}

/** A request's body and fields as the gateway forwards them, read off Node's request. */
class NodeRawBody implements RawRequestBody {
  readonly stream: ReadableStream<Uint8Array> | null
  readonly contentType: string | undefined
  readonly query: string
  readonly nodeHeaders: IncomingMessage['headers']

  constructor(private readonly req: IncomingMessage) {
    const url = req.url ?? ''
    const at = url.indexOf('?')
    this.stream = sendsBody(req.headers) ? (Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>) : null
    this.contentType = firstValue(req.headers['content-type'])
    this.query = at < 0 ? '' : url.slice(at + 1)
    this.nodeHeaders = req.headers
  }

  get headers(): Headers {
    const { rawHeaders } = this.req
    const headers = new Headers()
    for (let i = 0; i < rawHeaders.length; i += 2) headers.append(rawHeaders[i]!, rawHeaders[i + 1]!)
    return headers
  }
}
