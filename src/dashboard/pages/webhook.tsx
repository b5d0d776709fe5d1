import type { FC } from 'hono/jsx'
import { CopyField, Csrf, Empty, Flash, MoreLink, Page, TableHead, When, type Viewer } from '../layout.js'
import { PostButton, type Question } from './confirm.js'

/** `endpoint`: the endpoint's URL, or how to name it where the page does not show it. */
export const deleteQuestion = (endpoint: string): Question => ({
  title: 'Delete this endpoint?',
  message: `${endpoint} gets no more deliveries; pending ones are dropped.`,
  action: 'Delete endpoint',
})

export const rotateQuestion: Question = {
  title: 'Rotate the signing secret?',
  message: 'A new secret signs from now on; the old one also signs for 24 hours so receivers can switch.',
  action: 'Rotate secret',
}
import { EventsFieldset, HookStatus, type EventType, type Hook } from './webhooks.js'

export interface Delivery {
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

interface WebhookPageProps {
  me: Viewer & { canManage: boolean }
  hook: Hook
  deliveries: Delivery[]
  /** The declared event types, for the edit form. */
  eventTypes?: EventType[]
  /** Open the edit form (after a failed edit, with what was sent). */
  editing?: { url: string; description: string; events: string[] } | undefined
  nextCursor?: string | null | undefined
  /** Present only in the answer to "Reveal", create or rotate: never on a plain GET. */
  secret?: string | undefined
  notice?: string | undefined
  error?: string | undefined
  location?: string | undefined
}

const EditForm: FC<{ me: Viewer; hook: Hook; eventTypes: EventType[]; editing?: WebhookPageProps['editing'] }> = ({ me, hook, eventTypes, editing }) => {
  const shown = editing ?? hook
  return (
    <details class="card" open={Boolean(editing)}>
      <summary>Edit endpoint</summary>
      <form method="post" action={`/webhooks/${hook.id}/edit`} class="stack">
        <Csrf token={me.session.csrf} />
        <label for="edit-url">Endpoint URL</label>
        <input id="edit-url" name="url" type="url" required maxlength={2048} value={shown.url} />
        <label for="edit-desc">Description</label>
        <input id="edit-desc" name="description" maxlength={500} value={shown.description} />
        <EventsFieldset eventTypes={eventTypes} selected={shown.events} />
        <div>
          <button type="submit" class="primary">
            Save changes
          </button>
        </div>
      </form>
    </details>
  )
}

export const WebhookPage: FC<WebhookPageProps> = ({ me, hook, deliveries, eventTypes = [], editing, nextCursor, secret, notice, error, location }) => {
  const base = `/webhooks/${hook.id}`
  return (
    <Page title="Webhook endpoint" me={me} current="/webhooks" location={location}>
      <p class="crumbs">
        <a href="/webhooks">Webhooks</a> / Endpoint
      </p>
      <div class="heading">
        <div>
          <h1 class="url">{hook.url}</h1>
          <p class="muted">
            {hook.description || 'No description'} · <HookStatus hook={hook} />
            {!hook.enabled && hook.disabled_reason ? <span> — {hook.disabled_reason}</span> : null}
          </p>
        </div>
        {me.canManage ? (
          <div class="actions">
            <PostButton me={me} action={`${base}/test`} class="primary">
              Send test event
            </PostButton>
            <PostButton me={me} action={`${base}/${hook.enabled ? 'disable' : 'enable'}`}>
              {hook.enabled ? 'Disable' : 'Enable'}
            </PostButton>
            <PostButton
              me={me}
              action={`${base}/delete`}
              class="danger"
              confirm={deleteQuestion(hook.url)}
            >
              Delete
            </PostButton>
          </div>
        ) : null}
      </div>
      <Flash error={error} notice={notice} />
      <dl class="facts card">
        <dt>Events</dt>
        <dd>
          <span class="chips">
            {hook.events.map((e) => (
              <span class="chip">{e === '*' ? 'all events' : e}</span>
            ))}
          </span>
        </dd>
        <dt>Created</dt>
        <dd>
          <When at={hook.created_at} />
        </dd>
        <dt>Signing secret</dt>
        <dd>
          {secret ? (
            <CopyField id="hook-secret" label="Signing secret" value={secret} />
          ) : me.canManage ? (
            <div class="actions">
              <code class="muted">whsec_••••••••••••</code>
              <PostButton me={me} action={`${base}/reveal`} class="small">
                Reveal
              </PostButton>
              <PostButton
                me={me}
                action={`${base}/rotate`}
                class="small"
                confirm={rotateQuestion}
              >
                Rotate
              </PostButton>
            </div>
          ) : (
            <span class="muted">Owners and Admins can reveal it.</span>
          )}
        </dd>
      </dl>
      {me.canManage ? <EditForm me={me} hook={hook} eventTypes={eventTypes} editing={editing} /> : null}
      <h2>Deliveries</h2>
      {deliveries.length === 0 ? (
        <Empty>No deliveries yet{me.canManage ? ': send a test event to see one.' : '.'}</Empty>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="sr-only">Deliveries, newest first</caption>
            <TableHead columns={['Event', 'Status', 'Attempts', 'Last response', 'Latency', 'Next attempt', 'Created']} actions={me.canManage} />
            <tbody>
              {deliveries.map((d) => (
                <tr>
                  <td>
                    <a href={`${base}/deliveries/${d.id}`} aria-label={`The ${d.event_type} delivery: payload and responses`}>
                      <code>{d.event_type}</code>
                    </a>
                  </td>
                  <td>
                    <span class={`badge ${d.status}`}>{d.status}</span>
                  </td>
                  <td>{d.attempts}</td>
                  <td>{d.last_status_code ?? (d.last_error ? <span title={d.last_error}>{d.last_error.slice(0, 60)}</span> : <span class="muted">—</span>)}</td>
                  <td>{d.last_latency_ms === null ? <span class="muted">—</span> : `${d.last_latency_ms} ms`}</td>
                  <td>
                    <When at={d.next_attempt_at} />
                  </td>
                  <td>
                    <When at={d.created_at} />
                  </td>
                  {me.canManage ? (
                    <td class="actions">
                      {d.status === 'failed' || d.status === 'succeeded' ? (
                        <PostButton me={me} action={`${base}/deliveries/${d.id}/retry`} class="small">
                          Retry
                        </PostButton>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MoreLink path={base} cursor={nextCursor}>
        Older deliveries →
      </MoreLink>
    </Page>
  )
}
