import { randomUUID } from 'node:crypto'
import type { Context } from 'hono'
import type { HttpEnv } from '../env.js'
import { requestHeader } from '../request-header.js'
import { setResponseHeader } from '../response-header.js'

const CLIENT_ID = /^[A-Za-z0-9._-]{1,128}$/
export const REQUEST_ID_HEADER = 'X-Request-Id'

const newId = () => `req_${randomUUID().replaceAll('-', '')}`

/**
 * Makes an id for every request. A well-formed client `X-Request-Id` is kept as a correlation id:
 * echoed on the response (and in error envelopes) so the client can match its logs, logged beside
 * ours, but never taken for ours, so the audit log records only ids the server made. Returns the
 * id echoed, and whether the header already sits on Node's response.
 */
export function assignRequestId(c: Context<HttpEnv>): { id: string; onNode: boolean } {
  const sent = requestHeader(c, 'x-request-id')
  const own = newId()
  const correlation = sent && CLIENT_ID.test(sent) ? sent : undefined
  const id = correlation ?? own
  c.set('requestId', id)
  c.set('serverRequestId', own)
  if (correlation) c.set('correlationId', correlation)
  return { id, onNode: setResponseHeader(c, REQUEST_ID_HEADER, id) }
}
