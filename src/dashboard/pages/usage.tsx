import type { FC } from 'hono/jsx'
import { Empty, Page, type Viewer } from '../layout.js'
import type { ChartData, UsageSummary } from '../usage-chart.js'
import { AuditTable, type AuditRow } from './audit.js'

export const periods = [7, 30, 90] as const

const number = (n: number) => n.toLocaleString('en-GB')
const percent = (part: number, all: number) => (all === 0 ? '—' : `${((100 * part) / all).toFixed(part === all ? 0 : 1)} %`)

/** A chart drawn by app.js from the JSON beside it; the table below says the same in text. */
const Chart: FC<{ id: string; label: string; data: ChartData }> = ({ id, label, data }) => (
  <div class="chart">
    <canvas id={id} role="img" aria-label={label} data-chart={`${id}-data`}></canvas>
    <script type="application/json" id={`${id}-data`} dangerouslySetInnerHTML={{ __html: JSON.stringify(data).replace(/</g, '\\u003c') }}></script>
  </div>
)

export const UsagePage: FC<{ me: Viewer; days: number; usage: UsageSummary; audit: AuditRow[] | null }> = ({ me, days, usage, audit }) => {
  const t = usage.totals
  return (
    <Page title="Usage" me={me} current="/usage">
      <div class="heading">
        <div>
          <h1>Usage</h1>
          <p class="muted">
            API requests of {me.org.name}, per UTC day, {usage.days[0]} to {usage.days.at(-1)}. Recent requests appear within a few seconds.
          </p>
        </div>
        <nav class="segmented" aria-label="Period">
          {periods.map((p) => (
            <a href={`/usage?days=${p}`} aria-current={p === days ? 'true' : undefined}>
              {p} days
            </a>
          ))}
        </nav>
      </div>
      <div class="stats">
        <div class="stat">
          <span class="stat-label">Requests</span>
          <span class="stat-value">{number(t.all)}</span>
        </div>
        <div class="stat">
          <span class="stat-label">Succeeded (2xx)</span>
          <span class="stat-value">{percent(t['2xx'], t.all)}</span>
        </div>
        <div class="stat">
          <span class="stat-label">Rate limited (429)</span>
          <span class="stat-value">{number(t['429'])}</span>
        </div>
        <div class="stat">
          <span class="stat-label">Server errors (5xx)</span>
          <span class="stat-value">{number(t['5xx'])}</span>
        </div>
      </div>
      {t.all === 0 ? (
        <Empty>No API requests in this period yet. Call the API with a key and they show up here.</Empty>
      ) : (
        <>
          <section class="card" aria-labelledby="by-key">
            <h2 id="by-key">Requests per day, by key</h2>
            <Chart id="usage-by-key" label={`Requests per day per key, last ${days} days; the table below has the totals`} data={usage.byKey} />
          </section>
          <section class="card" aria-labelledby="by-outcome">
            <h2 id="by-outcome">Requests per day, by outcome</h2>
            <Chart id="usage-by-outcome" label={`Requests per day by outcome (2xx, 4xx, 429, 5xx), last ${days} days`} data={usage.byOutcome} />
          </section>
          <div class="table-wrap">
            <table>
              <caption>Totals per key, last {days} days</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col" class="num">
                    Requests
                  </th>
                  <th scope="col" class="num">
                    2xx
                  </th>
                  <th scope="col" class="num">
                    4xx
                  </th>
                  <th scope="col" class="num">
                    429
                  </th>
                  <th scope="col" class="num">
                    5xx
                  </th>
                </tr>
              </thead>
              <tbody>
                {usage.keys.map((k) => (
                  <tr>
                    <th scope="row">{k.label}</th>
                    <td class="num">{number(k.total)}</td>
                    <td class="num">{number(k.byOutcome['2xx'])}</td>
                    <td class="num">{number(k.byOutcome['4xx'])}</td>
                    <td class="num">{number(k.byOutcome['429'])}</td>
                    <td class="num">{number(k.byOutcome['5xx'])}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {audit ? (
        <section aria-labelledby="recent">
          <div class="heading">
            <h2 id="recent">Recent activity</h2>
            <a href="/audit">Full audit log →</a>
          </div>
          <AuditTable rows={audit} />
        </section>
      ) : null}
    </Page>
  )
}
