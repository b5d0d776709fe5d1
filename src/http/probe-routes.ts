import type { Hono } from 'hono'
import type { Metrics } from '../metrics/metrics.js'
import type { HttpEnv } from './env.js'

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

/**
 * `/healthz` (process alive), `/readyz` (can serve: 503 while a required dependency is unreachable
 * or the process is shutting down, so a load balancer sends its traffic elsewhere) and `/metrics`.
 */
export function probeRoutes(checks: ReadinessCheck[], metrics: Metrics, draining: () => boolean = () => false) {
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
    app.get('/metrics', async (c) => c.body(await metrics.render(), 200, { 'Content-Type': metrics.contentType }))
  }
}
