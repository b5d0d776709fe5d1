import type { Hono } from 'hono'
import type { HttpEnv } from '../http/env.js'
import type { DashboardKit } from './kit.js'
import { MessagePage } from './pages/auth.js'
import { UpstreamsPage } from './pages/upstreams.js'

/** The deployment's upstreams and their health, for Owners: an upstream's address and failures are the deployment's business. */
export function upstreamRoutes(kit: DashboardKit) {
  return function mountUpstreams(app: Hono<HttpEnv>): void {
    app.get(
      '/upstreams',
      kit.signedIn((c, me) => {
        if (me.session.role !== 'owner') {
          return kit.html(c, <MessagePage title="Owners only" message="Only Owners see the deployment's upstreams and their health." signedIn />, 403)
        }
        const gateway = kit.deps.gateway
        const health = new Map((gateway?.health() ?? []).map((h) => [h.name, h]))
        const upstreams = (gateway?.upstreams ?? []).map((u) => ({
          name: u.name,
          timeoutMs: u.timeoutMs,
          health: health.get(u.name)!,
          operations: u.operations.map((o) => kit.deps.registry.get(o.id)).filter((o) => o !== undefined),
          events: u.events.map((e) => e.type),
        }))
        return kit.html(c, <UpstreamsPage me={me} upstreams={upstreams} />)
      }),
    )
  }
}
