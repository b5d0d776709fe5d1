import type { FC } from 'hono/jsx'
import { Csrf, Empty, Flash, MoreLink, Page, SearchForm, TableHead, When, type Viewer } from '../layout.js'

export interface Hook {
  id: string
  url: string
  events: string[]
  enabled: boolean
  description: string
  disabled_reason: string | null
  created_at: string
}

type Me = Viewer & { canManage: boolean }

export type EventType = { type: string; summary: string }

/** “All events” or a choice of them: the add and edit forms of an endpoint. `selected` omitted or `["*"]` means all. */
export const EventsFieldset: FC<{ eventTypes: EventType[]; selected?: string[] }> = ({ eventTypes, selected = ['*'] }) => {
  const all = selected.includes('*')
  // An event the endpoint subscribed to that is no longer declared stays ticked, so saving keeps it.
  const known = new Set(eventTypes.map((t) => t.type))
  const choices = [...eventTypes, ...selected.filter((e) => e !== '*' && !known.has(e)).map((type) => ({ type, summary: 'Not declared by this deployment' }))]
  return (
    <fieldset>
      <legend>Events</legend>
      <label class="check">
        <input type="radio" name="events_mode" value="all" checked={all} /> All events, including ones added later
      </label>
      <label class="check">
        <input type="radio" name="events_mode" value="some" checked={!all} /> Only these:
      </label>
      <div class="event-grid">
        {choices.map((t) => (
          <label class="check" title={t.summary}>
            <input type="checkbox" name="events" value={t.type} checked={!all && selected.includes(t.type)} /> <code>{t.type}</code>
          </label>
        ))}
      </div>
    </fieldset>
  )
}

export const HookStatus: FC<{ hook: Hook }> = ({ hook }) => (
  <span class={`badge ${hook.enabled ? 'active' : 'revoked'}`} title={hook.disabled_reason ?? undefined}>
    {hook.enabled ? 'enabled' : 'disabled'}
  </span>
)

export const WebhooksPage: FC<{ me: Me; hooks: Hook[]; eventTypes: EventType[]; q?: string; nextCursor?: string | null | undefined; error?: string | undefined }> = ({
  me,
  hooks,
  eventTypes,
  q = '',
  nextCursor,
  error,
}) => (
  <Page title="Webhooks" me={me} current="/webhooks">
    <h1>Webhooks</h1>
    <p class="muted">Portico signs every delivery (Standard Webhooks) and retries failures with back-off for up to 24 hours.</p>
    <Flash error={error} />
    {me.canManage ? (
      <details class="card" open={(hooks.length === 0 && !q) || Boolean(error)}>
        <summary>Add endpoint</summary>
        <form method="post" action="/webhooks" class="stack">
          <Csrf token={me.session.csrf} />
          <label for="hook-url">Endpoint URL</label>
          <input id="hook-url" name="url" type="url" required maxlength={2048} placeholder="https://example.com/webhooks/portico" />
          <label for="hook-desc">Description</label>
          <input id="hook-desc" name="description" maxlength={500} placeholder="Order sync" />
          <EventsFieldset eventTypes={eventTypes} />
          <div>
            <button type="submit" class="primary">
              Add endpoint
            </button>
          </div>
        </form>
      </details>
    ) : (
      <p class="note">You are a Member: you can see endpoints and deliveries; an Owner or Admin manages them.</p>
    )}
    {hooks.length > 0 || q ? (
      <div class="toolbar">
        <SearchForm action="/webhooks" id="webhook-search" label="Search endpoints" placeholder="Part of the URL or an event name" q={q} />
      </div>
    ) : null}
    {hooks.length === 0 ? (
      <Empty>{q ? `No endpoints match “${q}”.` : 'No endpoints yet.'}</Empty>
    ) : (
      <div class="table-wrap">
        <table>
          <caption class="sr-only">Webhook endpoints</caption>
          <TableHead columns={['Endpoint', 'Events', 'Status', 'Created']} />
          <tbody>
            {hooks.map((h) => (
              <tr>
                <th scope="row">
                  <a href={`/webhooks/${h.id}`}>{h.url}</a>
                  {h.description ? <div class="muted small-text">{h.description}</div> : null}
                </th>
                <td>
                  <span class="chips">
                    {h.events.map((e) => (
                      <span class="chip">{e === '*' ? 'all events' : e}</span>
                    ))}
                  </span>
                </td>
                <td>
                  <HookStatus hook={h} />
                </td>
                <td>
                  <When at={h.created_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )}
    <MoreLink path="/webhooks" cursor={nextCursor} query={q ? { q } : {}}>
      More endpoints →
    </MoreLink>
  </Page>
)
