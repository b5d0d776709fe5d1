import type { FC } from 'hono/jsx'
import { Empty, Flash, Page, When, type Viewer } from '../layout.js'

export interface EventRow {
  id: string
  type: string
  timestamp: string
}

/**
 * What a page shows a user whose role lacks the scope its operations need (a Member has `read`):
 * the reason, and what their reads do allow (recent events, for the webhooks page).
 */
export const ForRolePage: FC<{ me: Viewer; title: string; current: string; needs: string; events?: EventRow[] | undefined; error?: string | undefined; notice?: string | undefined }> = ({
  me,
  title,
  current,
  needs,
  events,
  error,
  notice,
}) => (
  <Page title={title} me={me} current={current}>
    <h1>{title}</h1>
    <Flash error={error} notice={notice} />
    <Empty>
      {needs} Your role, Member, reads with the <code>read</code> scope, as a key with that scope would; an Owner or Admin of {me.org.name} can show you more.
    </Empty>
    {events ? (
      <section class="card">
        <h2>Recent events</h2>
        <p class="muted">The events this organisation's webhooks deliver, newest first.</p>
        {events.length === 0 ? (
          <Empty>No events yet.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Type</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr>
                  <td>
                    <code>{e.type}</code>
                  </td>
                  <td>
                    <When at={e.timestamp} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    ) : null}
  </Page>
)
