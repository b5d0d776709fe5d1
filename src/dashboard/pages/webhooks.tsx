import type { FC } from 'hono/jsx'
import { Csrf, Flash, Page, when } from '../layout.js'
import type { Session } from '../session-store.js'

interface Hook {
  id: string
  url: string
  events: string[]
  enabled: boolean
  description: string
  disabled_reason: string | null
  created_at: string
}
interface Delivery {
  id: string
  event_type: string
  status: string
  attempts: number
  last_status_code: number | null
  last_latency_ms: number | null
  last_error: string | null
  next_attempt_at: string | null
  created_at: string
}

export const WebhooksPage: FC<{ session: Session; orgName: string; hooks: Hook[]; canManage: boolean; error?: string | undefined; eventTypes: string[] }> = ({ session, orgName, hooks, canManage, error, eventTypes }) => (
  <Page title="Webhooks" session={session} current="/webhooks" orgName={orgName}>
    <h1>Webhooks</h1>
    <p class="muted">Portico signs every delivery (Standard Webhooks) and retries failures for up to 24 hours.</p>
    <Flash error={error} />
    {canManage ? (
      <details class="card" open={hooks.length === 0}>
        <summary>Add endpoint</summary>
        <form method="post" action="/webhooks" class="stack">
          <Csrf token={session.csrf} />
          <label for="hook-url">URL</label>
          <input id="hook-url" name="url" type="url" required placeholder="https://example.com/hooks/portico" />
          <label for="hook-events">Events (comma-separated, or * for all)</label>
          <input id="hook-events" name="events" value="*" list="event-types" />
          <datalist id="event-types">
            {eventTypes.map((t) => (
              <option value={t} />
            ))}
          </datalist>
          <label for="hook-desc">Description</label>
          <input id="hook-desc" name="description" maxlength={500} />
          <button type="submit" class="primary">
            Add endpoint
          </button>
        </form>
      </details>
    ) : null}
    <table>
      <thead>
        <tr>
          <th scope="col">URL</th>
          <th scope="col">Events</th>
          <th scope="col">Status</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {hooks.map((h) => (
          <tr>
            <td>
              <a href={`/webhooks/${h.id}`}>{h.url}</a>
            </td>
            <td>{h.events.join(', ')}</td>
            <td>
              <span class={`badge ${h.enabled ? 'active' : 'revoked'}`}>{h.enabled ? 'enabled' : 'disabled'}</span>
            </td>
            <td>{when(h.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </Page>
)

export const WebhookPage: FC<{ session: Session; orgName: string; hook: Hook & { secret: string }; deliveries: Delivery[]; canManage: boolean; notice?: string | undefined; error?: string | undefined }> = ({
  session,
  orgName,
  hook,
  deliveries,
  canManage,
  notice,
  error,
}) => (
  <Page title="Webhook" session={session} current="/webhooks" orgName={orgName}>
    <p>
      <a href="/webhooks">← Webhooks</a>
    </p>
    <h1>{hook.url}</h1>
    <Flash error={error} notice={notice} />
    <p>
      Events: <code>{hook.events.join(', ')}</code> · {hook.enabled ? 'Enabled' : `Disabled: ${hook.disabled_reason ?? ''}`}
    </p>
    {canManage ? (
      <>
        <details class="card">
          <summary>Reveal signing secret</summary>
          <div class="copy">
            <input id="hook-secret" readonly value={hook.secret} aria-label="Signing secret" />
            <button type="button" data-copy="#hook-secret">
              Copy
            </button>
          </div>
        </details>
        <form method="post" action={`/webhooks/${hook.id}/test`}>
          <Csrf token={session.csrf} />
          <button type="submit" class="primary">
            Send test event
          </button>
        </form>
      </>
    ) : null}
    <h2>Deliveries</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">Status</th>
          <th scope="col">Attempts</th>
          <th scope="col">Response</th>
          <th scope="col">Latency</th>
          <th scope="col">Next attempt</th>
          <th scope="col">Created</th>
          {canManage ? <th scope="col">Retry</th> : null}
        </tr>
      </thead>
      <tbody>
        {deliveries.map((d) => (
          <tr>
            <td>{d.event_type}</td>
            <td>
              <span class={`badge ${d.status}`}>{d.status}</span>
            </td>
            <td>{d.attempts}</td>
            <td>{d.last_status_code ?? d.last_error ?? '—'}</td>
            <td>{d.last_latency_ms === null ? '—' : `${d.last_latency_ms} ms`}</td>
            <td>{when(d.next_attempt_at)}</td>
            <td>{when(d.created_at)}</td>
            {canManage ? (
              <td>
                {d.status === 'failed' || d.status === 'succeeded' ? (
                  <form method="post" action={`/webhooks/${hook.id}/deliveries/${d.id}/retry`}>
                    <Csrf token={session.csrf} />
                    <button type="submit">Resend</button>
                  </form>
                ) : null}
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  </Page>
)
