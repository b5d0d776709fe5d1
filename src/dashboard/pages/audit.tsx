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
      <table>
        <caption class="sr-only">Audit log, newest first</caption>
        <TableHead columns={['When', 'Who', 'What', 'Details', 'From']} />
        <tbody>
          {rows.map((a) => (
            <tr>
              <td>
                <When at={a.created_at} />
              </td>
              <td>{a.actor.label ?? a.actor.type}</td>
              <td>
                <code>{a.action}</code>
              </td>
              <td class="details">{summary(a.details) || (a.target ? `${a.target.type} ${a.target.id?.slice(0, 8) ?? ''}` : '')}</td>
              <td title={a.user_agent ?? undefined}>{a.ip ?? <span class="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )

export const AuditPage: FC<{ me: Viewer; rows: AuditRow[]; action: string; nextCursor: string | null; error?: string | undefined }> = ({ me, rows, action, nextCursor, error }) => (
  <Page title="Audit log" me={me} current="/audit">
    <h1>Audit log</h1>
    <p class="muted">Who minted, rolled or revoked keys, changed webhooks or members, when and from where. Newest first.</p>
    <Flash error={error} />
    <form method="get" action="/audit" class="inline filter">
      <div class="field">
        <label for="action">Action</label>
        <input id="action" name="action" value={action} placeholder="api_key.revoked" list="audit-actions" maxlength={100} />
        <datalist id="audit-actions">
          {knownActions.map((a) => (
            <option value={a} />
          ))}
        </datalist>
      </div>
      <button type="submit">Filter</button>
      {action ? <a href="/audit">Clear</a> : null}
    </form>
    <AuditTable rows={rows} />
    <MoreLink path="/audit" cursor={nextCursor} query={action ? { action } : {}}>
      Older entries →
    </MoreLink>
  </Page>
)
