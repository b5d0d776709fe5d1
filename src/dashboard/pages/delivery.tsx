import type { FC } from 'hono/jsx'
import { Empty, MoreLink, Page, TableHead, When, type Viewer } from '../layout.js'

export interface Attempt {
  id: string
  attempt: number
  status_code: number | null
  error: string | null
  latency_ms: number
  created_at: string
}

/** Every try of one delivery, newest first: what the endpoint answered, or why nothing came back. */
export const DeliveryPage: FC<{ me: Viewer; hookId: string; deliveryId: string; attempts: Attempt[]; nextCursor: string | null }> = ({
  me,
  hookId,
  deliveryId,
  attempts,
  nextCursor,
}) => (
  <Page title="Delivery attempts" me={me} current="/webhooks">
    <p class="crumbs">
      <a href="/webhooks">Webhooks</a> / <a href={`/webhooks/${hookId}`}>Endpoint</a> / Delivery
    </p>
    <h1>Delivery attempts</h1>
    <p class="muted">
      Delivery <code>{deliveryId}</code>: every attempt sends the same message with the same <code>webhook-id</code>.
    </p>
    {attempts.length === 0 ? (
      <Empty>Not attempted yet.</Empty>
    ) : (
      <div class="table-wrap">
        <table>
          <caption class="sr-only">Attempts, newest first</caption>
          <TableHead columns={['Attempt', 'Response', 'Latency', 'When']} />
          <tbody>
            {attempts.map((a) => (
              <tr>
                <th scope="row">{a.attempt}</th>
                <td>{a.status_code ?? <span class="muted">{a.error ?? 'no answer'}</span>}</td>
                <td>{a.latency_ms} ms</td>
                <td>
                  <When at={a.created_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )}
    <MoreLink path={`/webhooks/${hookId}/deliveries/${deliveryId}`} cursor={nextCursor}>
      Older attempts →
    </MoreLink>
  </Page>
)
