import type { FC } from 'hono/jsx'
import { Empty, Flash, MoreLink, Page, TableHead, When, type Viewer } from '../layout.js'

export interface AuditRow {
  id: string
  action: string
  actor: { type: string; id: string | null; label: string | null }
  target: { type: string; id: string | null } | null
  ip: string | null
  user_agent: string | null
  details: Record<string, unknown> | null
  created_at: string
}

const knownActions = [
  'api_key.created',
  'api_key.revoked',
  'api_key.rolled',
  'api_key.updated',
  'member.added',
  'member.role_changed',
  'member.removed',
  'member.setup_link_issued',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'webhook.secret_revealed',
  'webhook.delivery_retried',
  'webhook.test_sent',
  'webhook.disabled',
]

/** `{name: "CI", scopes: ["read"]}` → `name: CI · scopes: read`: enough to read at a glance. */
const summary = (details: Record<string, unknown> | null) =>
  details
    ? Object.entries(details)
        .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
        .join(' · ')
    : ''

export const AuditTable: FC<{ rows: AuditRow[] }> = ({ rows }) =>
  rows.length === 0 ? (
    <Empty>Nothing recorded yet.</Empty>
  ) : (
    <div class="table-wrap">
      <table class="cards">
        <caption class="sr-only">Audit log, newest first</caption>
        <TableHead columns={['When', 'Who', 'What', 'Details', 'From']} />
        <tbody>
          {rows.map((a) => (
            <tr>
              <td data-label="When">
                <When at={a.created_at} />
              </td>
              <td data-label="Who" class="who-did">
                {a.actor.label ?? a.actor.type}
              </td>
              <td data-label="What">
                <code>{a.action}</code>
              </td>
              <td data-label="Details" class="details">
                {summary(a.details) || (a.target ? `${a.target.type} ${a.target.id?.slice(0, 8) ?? ''}` : '')}
              </td>
              <td data-label="From" title={a.user_agent ?? undefined}>
                {a.ip ?? <span class="muted">—</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )

/** The audit log's filter as the address gives it: every field optional, as typed. */
export interface AuditFilter {
  action: string
  actor: string
  from: string
  to: string
}

export const auditFilterQuery = (f: AuditFilter): Record<string, string> => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== ''))

export const AuditPage: FC<{ me: Viewer; rows: AuditRow[]; filter: AuditFilter; nextCursor: string | null; error?: string | undefined }> = ({
  me,
  rows,
  filter,
  nextCursor,
  error,
}) => {
  const filtered = Object.values(filter).some((v) => v !== '')
  return (
    <Page title="Audit log" me={me} current="/audit">
      <h1>Audit log</h1>
      <p class="muted">Who minted, rolled or revoked keys, changed webhooks or members, when and from where. Newest first.</p>
      <Flash error={error} />
      <form method="get" action="/audit" class="inline filter card" role="search">
        <div class="field">
          <label for="action">Event</label>
          <input id="action" name="action" value={filter.action} placeholder="api_key" list="audit-actions" maxlength={100} aria-describedby="action-hint" />
          <span id="action-hint" class="sr-only">
            Events starting with this: api_key finds every api_key event
          </span>
          <datalist id="audit-actions">
            {[...new Set(knownActions.map((a) => a.split('.')[0]!)), ...knownActions].map((a) => (
              <option value={a} />
            ))}
          </datalist>
        </div>
        <div class="field">
          <label for="actor">Who</label>
          <input id="actor" name="actor" value={filter.actor} placeholder="E-mail, key name or prefix" maxlength={254} />
        </div>
        <div class="field">
          <label for="from">From</label>
          <input id="from" name="from" type="date" value={filter.from} />
        </div>
        <div class="field">
          <label for="to">To</label>
          <input id="to" name="to" type="date" value={filter.to} />
        </div>
        <button type="submit">Filter</button>
        {filtered ? <a href="/audit">Clear</a> : null}
      </form>
      {rows.length === 0 && filtered && !error ? <Empty>No entries match this filter.</Empty> : <AuditTable rows={rows} />}
      <MoreLink path="/audit" cursor={nextCursor} query={auditFilterQuery(filter)}>
        Older entries →
      </MoreLink>
    </Page>
  )
}
