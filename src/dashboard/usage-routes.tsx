import type { Hono } from 'hono'
import type { HttpEnv } from '../http/env.js'
import type { DashboardKit } from './kit.js'
import { Empty, Page } from './layout.js'
import { AuditPage, auditFilterQuery, type AuditFilter, type AuditRow } from './pages/audit.js'
import { ForRolePage } from './pages/for-role.js'
import { periods, UsagePage } from './pages/usage.js'
import { summarizeUsage, type UsageRow } from './usage-chart.js'

/** Usage charts (`usage.get`) with recent activity, and the full audit log (`audit_log.list`). */
export function usageRoutes(kit: DashboardKit) {
  return function mountUsage(app: Hono<HttpEnv>): void {
    app.get(
      '/usage',
      kit.signedIn(async (c, me) => {
        if (!kit.has('usage.get')) {
          return kit.html(
            c,
            <Page title="Usage" me={me} current="/usage">
              <h1>Usage</h1>
              <Empty>No usage capability is mounted in this deployment.</Empty>
            </Page>,
          )
        }
        if (!kit.can(me, 'usage.get')) return kit.html(c, <ForRolePage me={me} title="Usage" current="/usage" needs="Usage by key is read with the admin scope." />)
        const asked = Number(c.req.query('days'))
        const days = (periods as readonly number[]).includes(asked) ? asked : 30
        const usage = await kit.view<{ from: string; to: string; data: UsageRow[] }>(c, me, 'usage.get', { query: { days: String(days) } })
        const audit = kit.can(me, 'audit_log.list') ? (await kit.view<{ data: AuditRow[] }>(c, me, 'audit_log.list', { query: { limit: '8' } })).data : null
        return kit.html(c, <UsagePage me={me} days={days} usage={summarizeUsage(usage)} audit={audit} />)
      }),
    )

    app.get(
      '/audit',
      kit.signedIn(async (c, me) => {
        if (!kit.can(me, 'audit_log.list')) return kit.html(c, <ForRolePage me={me} title="Audit log" current="/audit" needs="The audit log is read with the admin scope." />)
        const text = (name: string, max: number) => (c.req.query(name) ?? '').trim().slice(0, max)
        const filter: AuditFilter = { action: text('action', 100), actor: text('actor', 254), from: text('from', 40), to: text('to', 40) }
        const cursor = c.req.query('cursor')
        try {
          const page = await kit.view<{ data: AuditRow[]; next_cursor: string | null }>(c, me, 'audit_log.list', {
            query: { limit: '50', ...auditFilterQuery(filter), ...(cursor ? { cursor } : {}) },
          })
          return kit.html(c, <AuditPage me={me} rows={page.data} filter={filter} nextCursor={page.next_cursor} />)
        } catch (error) {
          const { message, status } = kit.failure(error)
          return kit.html(c, <AuditPage me={me} rows={[]} filter={filter} nextCursor={null} error={message} />, status)
        }
      }),
    )
  }
}
