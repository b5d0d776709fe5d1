import type { FC } from 'hono/jsx'
import type { KeyView } from '../../keys/key-schema.js'
import { creditsShown } from '../key-rules-form.js'
import { Csrf, Flash, Once, Page, When, type Viewer } from '../layout.js'
import { Scopes } from './keys.js'

/** A class's limit as it applies to the key: its own override, the organisation's, or the deployment's. */
export interface LimitLine {
  name: string
  limit: number
  windowSeconds: number
  source: 'key' | 'organisation' | 'deployment'
  /** The organisation's pool for the class, counted across all its keys, if it has one. */
  pool?: { limit: number; windowSeconds: number } | undefined
}

const refillText = (k: KeyView) => (k.credits?.refill ? `${k.credits.refill.amount.toLocaleString('en')} ${k.credits.refill.interval === 'daily' ? 'every day at 00:00 UTC' : 'on the 1st of every month'}` : 'none')

/** “Credits” column of the keys list: the balance, or ∞ for a key without a cap. */
export const CreditsCell: FC<{ k: KeyView }> = ({ k }) =>
  k.credits ? (
    <span title={k.credits.refill ? `Refilled to ${refillText(k)}` : 'No refill'} class={k.credits.remaining === 0 ? 'badge revoked' : undefined}>
      {k.credits.remaining.toLocaleString('en')}
      {k.credits.refill ? <span class="muted"> / {k.credits.refill.amount.toLocaleString('en')}</span> : null}
    </span>
  ) : (
    <span class="muted" title="No usage cap">
      unlimited
    </span>
  )

/** “Expires in” column: how long is left, in the largest whole unit. */
export function expiresIn(k: Pick<KeyView, 'expires_at' | 'status'>, now = Date.now()): string {
  if (!k.expires_at) return 'never'
  const ms = Date.parse(k.expires_at) - now
  if (ms <= 0) return 'expired'
  const minutes = Math.floor(ms / 60_000)
  if (minutes < 60) return `${Math.max(1, minutes)} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h`
  return `${Math.floor(hours / 24)} days`
}

/**
 * Metadata, credits and IP allow-list: the fields the mint form and the edit form share. On the
 * edit form they start with the key's values, and a field left empty clears what it sets.
 */
export const KeyRulesFields: FC<{ k?: KeyView | undefined; idPrefix: string }> = ({ k, idPrefix }) => {
  const id = (name: string) => `${idPrefix}-${name}`
  const remaining = k?.credits ? String(k.credits.remaining) : ''
  const amount = k?.credits?.refill ? String(k.credits.refill.amount) : ''
  const interval = k?.credits?.refill?.interval ?? 'none'
  const meta = k && Object.keys(k.meta).length ? JSON.stringify(k.meta, null, 2) : ''
  return (
    <>
      <label for={id('meta')}>Metadata (JSON)</label>
      <textarea id={id('meta')} name="meta" rows={3} maxlength={8192} spellcheck={false} placeholder='{"plan": "pro", "customer_id": "cus_123"}' aria-describedby={id('meta-hint')} data-json>
        {meta}
      </textarea>
      <p id={id('meta-hint')} class="hint">
        A JSON object for your own use, up to 4 KB; Portico never reads it. Empty: none.
      </p>
      <fieldset>
        <legend>Credits</legend>
        <label for={id('credits')}>Remaining</label>
        <input id={id('credits')} name="credits_remaining" type="number" min={0} max={1_000_000_000} step={1} value={remaining} placeholder="unlimited" aria-describedby={id('credits-hint')} />
        <p id={id('credits-hint')} class="hint">
          Every request spends one credit (or its operation’s cost); at 0 the key answers 429 <code>usage_exceeded</code>. Empty: no cap.
        </p>
        <label for={id('refill-interval')}>Refill</label>
        <select id={id('refill-interval')} name="refill_interval">
          <option value="none" selected={interval === 'none'}>
            No refill
          </option>
          <option value="daily" selected={interval === 'daily'}>
            Daily, at 00:00 UTC
          </option>
          <option value="monthly" selected={interval === 'monthly'}>
            Monthly, on the 1st
          </option>
        </select>
        <label for={id('refill-amount')}>Refill to</label>
        <input id={id('refill-amount')} name="refill_amount" type="number" min={1} max={1_000_000_000} step={1} value={amount} placeholder="the remaining amount" />
        {k ? <input type="hidden" name="credits_shown" value={creditsShown(remaining, amount, interval)} /> : null}
      </fieldset>
      <label for={id('ips')}>IP allow-list</label>
      <textarea id={id('ips')} name="allowed_ips" rows={2} maxlength={6500} spellcheck={false} placeholder="203.0.113.0/24, 2001:db8::/32" aria-describedby={id('ips-hint')}>
        {k?.allowed_ips?.join('\n') ?? ''}
      </textarea>
      <p id={id('ips-hint')} class="hint">
        IPv4 or IPv6 addresses or CIDR blocks, one per line or separated by commas; requests from anywhere else answer 403 <code>ip_not_allowed</code>.
        Empty: any address.
      </p>
    </>
  )
}

interface KeyPageProps {
  me: Viewer & { canManage: boolean }
  k: KeyView
  limits: LimitLine[]
  error?: string | undefined
  notice?: string | undefined
}

/** One key: what it may do and how much (scopes, limits, credits, allow-list, metadata), and its edit form. */
export const KeyPage: FC<KeyPageProps> = ({ me, k, limits, error, notice }) => (
  <Page title={k.name} me={me} current="/keys">
    <p class="crumbs">
      <a href="/keys">API keys</a> / {k.name}
    </p>
    <h1>
      {k.name} <code>{k.prefix}…</code>
    </h1>
    <Flash error={error} notice={notice} />
    <dl class="card facts">
      <dt>Status</dt>
      <dd>
        <span class={`badge ${k.status}`}>{k.status}</span>
        {k.status === 'revoked' && k.revoked_reason === 'leaked' ? (
          <span class="muted"> leaked: a secret-scanning report found it in public, so Portico revoked it at once</span>
        ) : null}
        {k.imported ? <span class="muted"> imported from another system: it works with its original plaintext</span> : null}
      </dd>
      <dt>Scopes</dt>
      <dd>
        <Scopes scopes={k.scopes} />
      </dd>
      <dt>Created</dt>
      <dd>
        <When at={k.created_at} />
      </dd>
      <dt>Last used</dt>
      <dd>
        <When at={k.last_used_at} />
      </dd>
      <dt>Expires</dt>
      <dd>{k.expires_at ? <>in {expiresIn(k)} (<When at={k.expires_at} />)</> : 'never'}</dd>
      <dt>Credits</dt>
      <dd>
        {k.credits ? (
          <>
            <strong>{k.credits.remaining.toLocaleString('en')}</strong> remaining · refill: {refillText(k)}
          </>
        ) : (
          'unlimited (no usage cap)'
        )}
      </dd>
      <dt>IP allow-list</dt>
      <dd>{k.allowed_ips ? k.allowed_ips.map((ip) => <code class="chip">{ip}</code>) : 'any address'}</dd>
      <dt>Metadata</dt>
      <dd>{Object.keys(k.meta).length ? <pre class="json">{JSON.stringify(k.meta, null, 2)}</pre> : <span class="muted">none</span>}</dd>
    </dl>
    <h2>Rate limits</h2>
    <div class="table-wrap">
      <table>
        <caption class="sr-only">Rate limits of {k.name}</caption>
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col">This key</th>
            <th scope="col">Set by</th>
            <th scope="col">Organisation pool</th>
          </tr>
        </thead>
        <tbody>
          {limits.map((l) => (
            <tr>
              <th scope="row">
                <code>{l.name}</code>
              </th>
              <td>
                {l.limit.toLocaleString('en')} per {l.windowSeconds} s
              </td>
              <td>{l.source}</td>
              <td>{l.pool ? `${l.pool.limit.toLocaleString('en')} per ${l.pool.windowSeconds} s, shared by all keys` : <span class="muted">none</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
    {me.canManage && k.status === 'active' ? (
      <section class="card">
        <h2>Edit</h2>
        <form method="post" action={`/keys/${k.id}`} class="stack">
          <Csrf token={me.session.csrf} />
          <Once />
          <label for="edit-name">Name</label>
          <input id="edit-name" name="name" required maxlength={100} value={k.name} />
          <KeyRulesFields k={k} idPrefix="edit" />
          <div class="buttons">
            <a class="button" href="/keys">
              Cancel
            </a>
            <button type="submit" class="primary">
              Save changes
            </button>
          </div>
        </form>
      </section>
    ) : null}
  </Page>
)
