import type { MiddlewareHandler } from 'hono'
import { ensureHeader } from './ensure-header.js'

const defaults: [string, string][] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['X-Frame-Options', 'DENY'],
]

/** Conservative defaults for every response; a page that sets its own value keeps it. */
export function securityHeaders(): MiddlewareHandler {
  return async function securityHeadersMiddleware(c, next) {
    for (const [name, value] of defaults) c.header(name, value)
    await next()
    for (const [name, value] of defaults) ensureHeader(c, name, value)
  }
}
