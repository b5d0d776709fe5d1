import { randomUUID } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import type { HttpEnv } from '../env.js'
import { requestHeader } from '../request-header.js'
import { setResponseHeader } from '../response-header.js'
import { ensureHeader } from './ensure-header.js'

const CLIENT_ID = /^[A-Za-z0-9._-]{1,128}$/

export interface RequestIdOptions {
  header?: string
  generate?: () => string
}

/**
 * Makes an id for every request. A well-formed client `X-Request-Id` is kept as a correlation id:
 * echoed on the response (and in error envelopes) so the client can match its logs, logged beside
 * ours, but never taken for ours, so the audit log records only ids the server made.
 */
export function requestId(options: RequestIdOptions = {}): MiddlewareHandler<HttpEnv> {
  const header = options.header ?? 'X-Request-Id'
  const generate = options.generate ?? (() => `req_${randomUUID().replaceAll('-', '')}`)
  return async function requestIdMiddleware(c, next) {
    const sent = requestHeader(c, header.toLowerCase() as Lowercase<string>)
    const own = generate()
    const correlation = sent && CLIENT_ID.test(sent) ? sent : undefined
    const id = correlation ?? own
    c.set('requestId', id)
    c.set('serverRequestId', own)
    if (correlation) c.set('correlationId', correlation)
    const onNode = setResponseHeader(c, header, id)
    await next()
    if (!onNode) ensureHeader(c, header, id)
  }
}
