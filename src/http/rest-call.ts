import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Readable } from 'node:stream'
import type { RequestMeta } from '../core/context.js'
import type { Operation } from '../core/operation.js'
import type { ExecuteRequest } from '../runtime/execute-operation.js'
import type { RequestBody } from '../runtime/exchange.js'

export const API_BASE = '/api/v1'

export function toHonoPath(path: string): string {
  return API_BASE + path.replace(/\{(\w+)\}/g, ':$1')
}

/**
 * One REST call as the executor takes it, from what either way of serving REST (Hono, or Node's
 * server directly) read off the request: the credentials, the operation's parameters, and the
 * Idempotency-Key where the operation honours one.
 */
export function restCall(
  op: Operation,
  header: (name: Lowercase<string>) => string | undefined,
  params: Record<string, string>,
  query: Record<string, string>,
  body: RequestBody | undefined,
  meta: RequestMeta,
): ExecuteRequest {
  return {
    op,
    doorway: 'rest',
    credentials: { authorization: header('authorization'), apiKey: header('x-api-key') },
    params,
    query,
    body: op.body || op.rawBody ? body : undefined,
    meta,
    idempotencyKey: op.method === 'post' && op.idempotent ? header('idempotency-key') : undefined,
    at: Date.now(),
  }
}

/**
 * A streamed answer (the gateway's) straight onto Node's response, piped from the upstream's
 * stream with its back-pressure: no web Response or web stream is built for it. `head` is merged
 * into whatever is already set on the response (under Hono, the request id and security defaults).
 */
export function writeStream(outgoing: ServerResponse, status: number, head: OutgoingHttpHeaders | (string | string[])[], body: Readable | null): void {
  outgoing.writeHead(status, head as OutgoingHttpHeaders)
  if (!body) {
    outgoing.end()
    return
  }
  // pipe() rather than stream.pipeline(), which makes (and aborts) an AbortController per call.
  // An upstream that breaks off mid-answer closes the client's connection instead of leaving it
  // hanging; a client that goes away destroys the upstream's body, which frees its connection.
  // The two listeners are shared functions that find the other stream on their own (`on`, not
  // `once`: each fires once anyway), so a forwarded answer makes no closure for them.
  const linked = body as Readable & { [OUTGOING]?: ServerResponse }
  const answer = outgoing as ServerResponse & { [BODY]?: Readable }
  linked[OUTGOING] = outgoing
  answer[BODY] = body
  body.on('error', destroyOutgoing)
  outgoing.on('close', destroyUnfinishedBody)
  body.pipe(outgoing)
}

const OUTGOING = Symbol('outgoing')
const BODY = Symbol('body')

function destroyOutgoing(this: Readable & { [OUTGOING]?: ServerResponse }): void {
  this[OUTGOING]?.destroy()
}

function destroyUnfinishedBody(this: ServerResponse & { [BODY]?: Readable }): void {
  const body = this[BODY]
  if (body && !body.readableEnded) body.destroy()
}
