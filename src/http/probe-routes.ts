import type { Hono } from 'hono'
import type { Metrics } from '../metrics/metrics.js'
import type { HttpEnv } from './env.js'

export interface ReadinessCheck {
  name: string
  check(): Promise<void>
}

/** `/healthz` (process alive), `/readyz` (dependencies reachable) and `/metrics` (Prometheus). */
export function probeRoutes(checks: ReadinessCheck[], metrics: Metrics) {
  return function mountProbes(app: Hono<HttpEnv>): void {
    app.get('/healthz', (c) => c.json({ status: 'ok' }))
    app.get('/readyz', async (c) => {
      const results = await Promise.all(
        checks.map(async ({ name, check }) => {
          try {
            await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref())])
            return [name, 'ok'] as const
          } catch {
            return [name, 'unavailable'] as const
          }
        }),
      )
      const ready = results.every(([, state]) => state === 'ok')
      return c.json({ status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results) }, ready ? 200 : 503)
    })
    app.get('/metrics', async (c) => c.body(await metrics.render(), 200, { 'Content-Type': metrics.contentType }))
  }
}
