import type { FC } from 'hono/jsx'
import type { Operation } from '../../core/operation.js'
import type { UpstreamHealth } from '../../gateway/upstream-client.js'
import { Empty, Page, TableHead, When, type Viewer } from '../layout.js'

export interface UpstreamView {
  name: string
  timeoutMs: number
  health: UpstreamHealth
  operations: Operation[]
  events: string[]
}

const ms = (value: number | null) => (value === null ? <span class="muted">—</span> : `${value.toFixed(1)} ms`)

/** The services Portico stands in front of (PORTICO_UPSTREAMS), with how this instance has found them. */
export const UpstreamsPage: FC<{ me: Viewer; upstreams: UpstreamView[] }> = ({ me, upstreams }) => (
  <Page title="Upstreams" me={me} current="/upstreams">
    <h1>Upstreams</h1>
    <p class="muted lead">
      The services this deployment forwards to, declared in its upstreams file. Each call reaches them with the caller's signed identity
      (<code>Portico-Identity</code>); the figures are this instance's since it started.
    </p>
    {upstreams.length === 0 ? (
      <Empty>This deployment declares no upstreams (set PORTICO_UPSTREAMS to a file that does).</Empty>
    ) : (
      <>
        <section class="card" aria-labelledby="health">
          <h2 id="health">Health</h2>
          <table>
            <TableHead columns={['Upstream', 'Status', 'Requests', 'Failures', 'Latency (last)', 'Latency (average)', 'Last success', 'Last error']} />
            <tbody>
              {upstreams.map((u) => {
                const failing = u.health.lastError !== null && (u.health.lastSuccessAt === null || u.health.lastError.at > u.health.lastSuccessAt)
                return (
                  <tr>
                    <th scope="row">{u.name}</th>
                    <td>
                      <span class={`badge ${failing ? 'failed' : u.health.requests === 0 ? 'pending' : 'active'}`}>
                        {failing ? 'Failing' : u.health.requests === 0 ? 'No calls yet' : 'Answering'}
                      </span>
                    </td>
                    <td>{u.health.requests}</td>
                    <td>{u.health.failures}</td>
                    <td>{ms(u.health.lastLatencyMs)}</td>
                    <td>{ms(u.health.averageLatencyMs)}</td>
                    <td>
                      <When at={u.health.lastSuccessAt} />
                    </td>
                    <td>
                      {u.health.lastError ? (
                        <>
                          <code>{u.health.lastError.code}</code> {u.health.lastError.detail} · <When at={u.health.lastError.at} />
                        </>
                      ) : (
                        <span class="muted">—</span>
                      )}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </section>
        {upstreams.map((u) => (
          <section class="card" aria-labelledby={`ops-${u.name}`}>
            <h2 id={`ops-${u.name}`}>{u.name}: operations</h2>
            <p class="muted">
              Answer timeout {u.timeoutMs} ms. Events it may send: {u.events.length ? u.events.map((e) => <code>{e} </code>) : 'none'}.
            </p>
            <table>
              <TableHead columns={['Operation', 'Method and path', 'Scope', 'Rate-limit class', 'Summary']} />
              <tbody>
                {u.operations.map((op) => (
                  <tr>
                    <td>
                      <code>{op.id}</code>
                    </td>
                    <td>
                      <code>
                        {op.method.toUpperCase()} /api/v1{op.path}
                      </code>
                    </td>
                    <td>{op.scope ? <code>{op.scope}</code> : <span class="muted">any key</span>}</td>
                    <td>
                      <code>{op.limit}</code>
                    </td>
                    <td>{op.summary}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))}
      </>
    )}
  </Page>
)
