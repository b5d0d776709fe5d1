import { timingSafeEqual } from 'node:crypto'
import type { Hono } from 'hono'
import { ApiError } from '../core/errors.js'
import type { Metrics } from '../metrics/metrics.js'
import type { HttpEnv } from './env.js'
import { errorResponse } from './on-error.js'

export interface ReadinessCheck {
  name: string
  check(): Promise<void>
  /**
   * Whether the instance can serve without it. A failing optional dependency is reported as
   * `degraded` and leaves the instance ready (Redis with fail-open: it counts in-process meanwhile).
   */
  optional?: boolean
}

/** How long one readiness check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 2000

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

/**
 * `/healthz` (process alive), `/readyz` (can serve: 503 while a required dependency is unreachable
 * or the process is shutting down, so a load balancer sends its traffic elsewhere) and `/metrics`
 * (Prometheus). The metrics say what the API is used for and how the process fares, so they are
 * served only to a scraper holding `metricsToken`, and not at all (404) without one.
 */
export function probeRoutes(checks: ReadinessCheck[], metrics: Metrics, draining: () => boolean = () => false, metricsToken?: string) {
  return function mountProbes(app: Hono<HttpEnv>): void {
    app.get('/healthz', (c) => c.json({ status: 'ok' }))
    app.get('/readyz', async (c) => {
      const results = await Promise.all(
        checks.map(async ({ name, check, optional }) => {
          let timer: NodeJS.Timeout | undefined
          try {
            await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS)))])
            return [name, 'ok'] as const
          } catch {
            return [name, optional ? 'degraded' : 'unavailable'] as const
          } finally {
            clearTimeout(timer)
          }
        }),
      )
      const status = draining() ? 'draining' : results.some(([, state]) => state === 'unavailable') ? 'unavailable' : 'ready'
      return c.json({ status, checks: Object.fromEntries(results) }, status === 'ready' ? 200 : 503, { 'Cache-Control': 'no-store' })
    })
    if (!metricsToken) return
    app.get('/metrics', async (c) => {
      const header = c.req.header('authorization')
      const challenge = { 'WWW-Authenticate': 'Bearer realm="metrics"' }
      if (!header) return errorResponse(c, new ApiError('missing_api_key', 'Send Authorization: Bearer <PORTICO_METRICS_TOKEN>', { headers: challenge }))
      if (!sameToken(header, `Bearer ${metricsToken}`)) return errorResponse(c, new ApiError('invalid_api_key', 'The metrics token is not valid', { headers: challenge }))
      return c.body(await metrics.render(), 200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' })
    })
  }
}
