import type { FC } from 'hono/jsx'
import { Empty, MoreLink, Page, TableHead, When, type Viewer } from '../layout.js'

export interface Attempt {
  id: string
  attempt: number
  status_code: number | null
  error: string | null
  latency_ms: number
  response_body: string | null
  created_at: string
}

export interface DeliveryDetail {
  id: string
  event_type: string
  status: string
  message_id: string
  payload: string
  created_at: string
}

/** The payload as sent, indented for reading when it is JSON (it always is for Portico's events). */
const readable = (payload: string) => {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2)
  } catch {
    return payload
  }
}

/** One delivery: the request body it sends, then every try, newest first, with what the endpoint answered. */
export const DeliveryPage: FC<{ me: Viewer; hookId: string; delivery: DeliveryDetail; attempts: Attempt[]; nextCursor: string | null }> = ({
  me,
  hookId,
  delivery,
  attempts,
  nextCursor,
}) => (
  <Page title="Delivery" me={me} current="/webhooks">
    <p class="crumbs">
      <a href="/webhooks">Webhooks</a> / <a href={`/webhooks/${hookId}`}>Endpoint</a> / Delivery
    </p>
    <h1>
      <code>{delivery.event_type}</code> delivery
    </h1>
    <p class="muted">
      <span class={`badge ${delivery.status}`}>{delivery.status}</span> · created <When at={delivery.created_at} /> · every attempt sends the same
      body with the same <code>webhook-id</code> (<code>{delivery.message_id}</code>).
    </p>
    <h2>Request payload</h2>
    <pre class="payload" tabindex={0} aria-label="Request payload">
      {readable(delivery.payload)}
    </pre>
    <h2>Attempts</h2>
    {attempts.length === 0 ? (
      <Empty>Not attempted yet.</Empty>
    ) : (
      <div class="table-wrap">
        <table class="cards">
          <caption class="sr-only">Attempts, newest first</caption>
          <TableHead columns={['Attempt', 'Response', 'Response body (first 2 KB)', 'Latency', 'When']} />
          <tbody>
            {attempts.map((a) => (
              <tr>
                <th scope="row">{a.attempt}</th>
                <td data-label="Response">{a.status_code ?? <span class="muted">{a.error ?? 'no answer'}</span>}</td>
                <td data-label="Body" class="response-body">
                  {a.response_body ? <pre>{a.response_body}</pre> : <span class="muted">{a.status_code === null ? '—' : 'empty'}</span>}
                </td>
                <td data-label="Latency">{a.latency_ms} ms</td>
                <td data-label="When">
                  <When at={a.created_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )}
    <MoreLink path={`/webhooks/${hookId}/deliveries/${delivery.id}`} cursor={nextCursor}>
      Older attempts →
    </MoreLink>
  </Page>
)
