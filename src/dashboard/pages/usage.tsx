import type { FC } from 'hono/jsx'
import { Page, when } from '../layout.js'
import type { Session } from '../session-store.js'

interface AuditRow {
  id: string
  action: string
  actor: { type: string; label: string | null }
  target: { type: string; id: string | null } | null
  ip: string | null
  created_at: string
}

export const UsagePage: FC<{ session: Session; orgName: string; chart: unknown; totals: { key: string; ok: number; client: number; limited: number; server: number }[]; audit: AuditRow[] }> = ({ session, orgName, chart, totals, audit }) => (
  <Page title="Usage" session={session} current="/usage" orgName={orgName}>
    <h1>Usage</h1>
    <p class="muted">Requests per day per key over the last 30 days.</p>
    <div class="card chart">
      <canvas id="usage-chart" role="img" aria-label="Requests per day per key" height="110"></canvas>
      <script type="application/json" id="usage-data" dangerouslySetInnerHTML={{ __html: JSON.stringify(chart).replace(/</g, '\\u003c') }}></script>
    </div>
    <table>
      <caption>Last 30 days by outcome</caption>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">2xx</th>
          <th scope="col">4xx</th>
          <th scope="col">429</th>
          <th scope="col">5xx</th>
        </tr>
      </thead>
      <tbody>
        {totals.map((t) => (
          <tr>
            <td>{t.key}</td>
            <td>{t.ok}</td>
            <td>{t.client}</td>
            <td>{t.limited}</td>
            <td>{t.server}</td>
          </tr>
        ))}
      </tbody>
    </table>
    <h2>Audit log</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">What</th>
          <th scope="col">Target</th>
          <th scope="col">From</th>
        </tr>
      </thead>
      <tbody>
        {audit.map((a) => (
          <tr>
            <td>{when(a.created_at)}</td>
            <td>{a.actor.label ?? a.actor.type}</td>
            <td>
              <code>{a.action}</code>
            </td>
            <td>{a.target ? `${a.target.type} ${a.target.id?.slice(0, 8) ?? ''}` : '—'}</td>
            <td>{a.ip ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </Page>
)
