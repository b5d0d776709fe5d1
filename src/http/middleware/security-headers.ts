import type { MiddlewareHandler } from 'hono'
import { setResponseHeader } from '../response-header.js'
import { ensureHeader } from './ensure-header.js'

const defaults: [string, string][] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['X-Frame-Options', 'DENY'],
]

/** Conservative defaults for every response; a page that sets its own value keeps it. */
export function securityHeaders(): MiddlewareHandler {
  return async function securityHeadersMiddleware(c, next) {
    let onNode = false
    for (const [name, value] of defaults) onNode = setResponseHeader(c, name, value)
    await next()
    if (!onNode) for (const [name, value] of defaults) ensureHeader(c, name, value)
  }
}
