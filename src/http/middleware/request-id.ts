import { randomFillSync } from 'node:crypto'
import type { Context } from 'hono'
import type { HttpEnv } from '../env.js'
import { requestHeader } from '../request-header.js'
import { setResponseHeader } from '../response-header.js'

const CLIENT_ID = /^[A-Za-z0-9._-]{1,128}$/
export const REQUEST_ID_HEADER = 'X-Request-Id'

/** Random bytes for ids, filled 4 KB at a time: one request's id costs one hex string, not a UUID and its re-formatting. */
const pool = Buffer.alloc(4096)
let used = pool.length

/** `req_` and 32 hex digits: 128 random bits. */
const newId = () => {
  if (used === pool.length) {
    randomFillSync(pool)
    used = 0
  }
  used += 16
  return `req_${pool.toString('hex', used - 16, used)}`
}

/** A request's ids: the one echoed, the one the server made, and the client's own when well-formed. */
export interface RequestIds {
  /** Echoed in X-Request-Id and error envelopes. */
  id: string
  /** Always made here: what logs and audit rows record. */
  own: string
  correlation: string | undefined
}

/**
 * Makes an id for every request. A well-formed client `X-Request-Id` is kept as a correlation id:
 * echoed on the response (and in error envelopes) so the client can match its logs, logged beside
 * ours, but never taken for ours, so the audit log records only ids the server made.
 */
export function requestIds(sent: string | string[] | undefined): RequestIds {
  const own = newId()
  const first = Array.isArray(sent) ? sent[0] : sent
  const correlation = first && CLIENT_ID.test(first) ? first : undefined
  return { id: correlation ?? own, own, correlation }
}

/** `requestIds` for a Hono request; returns the id echoed, and whether the header already sits on Node's response. */
export function assignRequestId(c: Context<HttpEnv>): { id: string; onNode: boolean } {
  const { id, own, correlation } = requestIds(requestHeader(c, 'x-request-id'))
  c.set('requestId', id)
  c.set('serverRequestId', own)
  if (correlation) c.set('correlationId', correlation)
  return { id, onNode: setResponseHeader(c, REQUEST_ID_HEADER, id) }
}
