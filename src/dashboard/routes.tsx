import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hono } from 'hono'
import type { HttpEnv } from '../http/env.js'
import { accountRoutes } from './account-routes.js'
import { aiRoutes } from './ai-routes.js'
import { authRoutes } from './auth-routes.js'
import { invitationRoutes } from './invitation-routes.js'
import { keyPageRoutes } from './key-page-routes.js'
import { keyRoutes } from './key-routes.js'
import { DashboardKit, type DashboardDeps } from './kit.js'
import { ASSETS } from './layout.js'
import { memberRoutes } from './member-routes.js'
import { upstreamRoutes } from './upstream-routes.js'
import { usageRoutes } from './usage-routes.js'
import { webhookRoutes } from './webhook-routes.js'

export type { DashboardDeps } from './kit.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const JS = 'text/javascript; charset=utf-8'

/** Read once at start-up. The chart library comes from the installed package: no CDN at run time. */
const assets: Record<string, { type: string; body: Uint8Array<ArrayBuffer> }> = {
  'app.css': { type: 'text/css; charset=utf-8', body: new Uint8Array(readFileSync(path.join(here, 'assets/app.css'))) },
  'app.js': { type: JS, body: new Uint8Array(readFileSync(path.join(here, 'assets/app.js'))) },
  'favicon.svg': { type: 'image/svg+xml', body: new Uint8Array(readFileSync(path.join(here, 'assets/favicon.svg'))) },
  'chart.umd.min.js': { type: JS, body: new Uint8Array(readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'))) },
}

/** The web dashboard: server-rendered pages that call the same operations as the API, as the signed-in user. */
export function dashboardRoutes(deps: DashboardDeps) {
  const kit = new DashboardKit(deps)
  const mounts = [authRoutes(kit), accountRoutes(kit), invitationRoutes(kit), keyRoutes(kit), keyPageRoutes(kit), memberRoutes(kit), webhookRoutes(kit), usageRoutes(kit), aiRoutes(kit), upstreamRoutes(kit)]

  return function mountDashboard(app: Hono<HttpEnv>): void {
    app.get(`${ASSETS}/:file`, (c) => {
      const asset = assets[c.req.param('file')]
      if (!asset) return c.notFound()
      return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=3600' })
    })
    // Browsers ask for /favicon.ico on every page that names none (the API reference, the example's pages).
    app.get('/favicon.ico', (c) => {
      const icon = assets['favicon.svg']!
      return c.body(icon.body, 200, { 'Content-Type': icon.type, 'Cache-Control': 'public, max-age=86400' })
    })
    for (const mount of mounts) mount(app)
  }
}
