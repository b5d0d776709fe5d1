import type { MiddlewareHandler } from 'hono'
import type { Logger } from 'pino'
import type { HttpEnv } from '../env.js'
import { clientIp } from '../client-ip.js'
import { ensureHeader } from './ensure-header.js'
import { assignRequestId, REQUEST_ID_HEADER } from './request-id.js'
import { honoRequestLogger, type RequestLineWriter } from './request-log.js'
import { ensureSecurityHeaders, setSecurityHeaders } from './security-headers.js'

export interface EdgeOptions {
  log: Logger
  /** Proxies in front of the server (PORTICO_TRUST_PROXY): where the client address is read from. */
  trustProxy: number
  requestLine?: RequestLineWriter | undefined
}

/**
 * What every request gets around its route, as one middleware rather than four (each level of
 * Hono's chain is a promise and a dispatch per request): its ids, the client's address and the
 * security headers on the way in; on the way out the headers a raw Response lacks, and the
 * request-log line.
 */
export function edge(options: EdgeOptions): MiddlewareHandler<HttpEnv> {
  const logRequest = honoRequestLogger(options.log, options.requestLine)
  return async function edgeMiddleware(c, next) {
    const started = performance.now()
    const { id, onNode } = assignRequestId(c)
    c.set('clientIp', clientIp(c, options.trustProxy))
    const securityOnNode = setSecurityHeaders(c)
    await next()
    if (!securityOnNode) ensureSecurityHeaders(c)
    if (!onNode) ensureHeader(c, REQUEST_ID_HEADER, id)
    logRequest(c, started)
  }
}
