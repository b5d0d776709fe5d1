import type { MiddlewareHandler } from 'hono'
import type { HttpEnv } from '../env.js'

export const REDACTED = '[redacted]'

/** `/sign/:token/document.pdf` with `token` secret → `/sign/[redacted]/document.pdf`; other parameters as sent. */
export function redactedPath(route: string, params: Record<string, string>, secret: readonly string[]): string {
  return route.replace(/:(\w+)(\{[^}]*\})?/g, (_, name: string) => (secret.includes(name) ? REDACTED : encodeURIComponent(params[name] ?? '')))
}

/**
 * Declared on a route whose path carries a credential (a setup or signing token): the request
 * log, and the error log, write the path with those parameters redacted.
 */
export function secretParams(...names: string[]): MiddlewareHandler<HttpEnv> {
  return async function secretParamsMiddleware(c, next) {
    c.set('logPath', redactedPath(c.req.routePath, c.req.param() as Record<string, string>, names))
    await next()
  }
}
