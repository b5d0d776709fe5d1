import type { MiddlewareHandler } from 'hono'

/** Conservative defaults for every response; pages that need more set their own CSP. */
export function securityHeaders(): MiddlewareHandler {
  return async function securityHeadersMiddleware(c, next) {
    await next()
    c.header('X-Content-Type-Options', 'nosniff')
    c.header('Referrer-Policy', 'no-referrer')
    if (!c.res.headers.has('X-Frame-Options')) c.header('X-Frame-Options', 'DENY')
  }
}
