import { Hono, type Context } from 'hono'
import type { Logger } from 'pino'
import { ApiError } from '../core/errors.js'
import type { PageContext, PageSpec } from '../core/module.js'
import type { OperationRegistry } from '../core/operation.js'
import type { HttpEnv } from './env.js'
import { API_BASE, mountOperations, toHonoPath, type MountDeps } from './mount-operations.js'
import { errorResponse, onError } from './on-error.js'
import { edge } from './middleware/edge.js'
import type { RequestLineWriter } from './middleware/request-log.js'
import { secretParams } from './middleware/secret-params.js'

export type RouteMount = (app: Hono<HttpEnv>) => void

export interface HttpAppDeps extends MountDeps {
  log: Logger
  /** Writes request-log lines without pino's serializer (only for the logger Portico made). */
  requestLine?: RequestLineWriter | undefined
  /** Proxies in front of the server (PORTICO_TRUST_PROXY): where the client address is read from. */
  trustProxy: number
  pages: PageSpec[]
  pageContext: (requestId: string, clientIp: string, serverRequestId: string) => PageContext
  /** Routes outside the operation registry: docs, health probes, metrics, MCP, dashboard. */
  mounts: RouteMount[]
}

/** Everything that answers HTTP, assembled from the registry and the capabilities' mounts. */
export function createHttpApp(deps: HttpAppDeps): Hono<HttpEnv> {
  const app = new Hono<HttpEnv>()
  app.use(edge({ log: deps.log, trustProxy: deps.trustProxy, requestLine: deps.requestLine }))

  for (const mount of deps.mounts) mount(app)
  mountOperations(app, deps)
  for (const page of deps.pages) {
    const handler = (c: Context<HttpEnv>) => page.handler(c.req.raw, c.req.param() as Record<string, string>, deps.pageContext(c.get('requestId'), c.get('clientIp'), c.get('serverRequestId')))
    if (page.secretParams?.length) app.on(page.method.toUpperCase(), page.path, secretParams(...page.secretParams), handler)
    else app.on(page.method.toUpperCase(), page.path, handler)
  }

  const allowed = allowedMethods(deps.registry, deps.pages)
  app.notFound((c) => {
    const methods = allowed(c.req.path)
    if (methods.length > 0) {
      return errorResponse(
        c,
        new ApiError('method_not_allowed', `${c.req.method} is not allowed here; use ${methods.join(', ')}`, { headers: { Allow: methods.join(', ') } }),
      )
    }
    return errorResponse(c, new ApiError('not_found', `No route for ${c.req.method} ${c.req.path}`))
  })
  app.onError(onError(deps.log))
  return app
}

/** Which methods a path answers to, for 405 and `Allow`. */
function allowedMethods(registry: OperationRegistry, pages: PageSpec[]): (path: string) => string[] {
  const routes = [
    ...registry.all().map((op) => ({ method: op.method.toUpperCase(), path: toHonoPath(op.path) })),
    ...pages.map((p) => ({ method: p.method.toUpperCase(), path: p.path })),
  ].map((r) => ({ method: r.method, pattern: new RegExp('^' + r.path.replace(/:\w+/g, '[^/]+') + '$') }))
  return (path) => [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))]
}

export { API_BASE }
