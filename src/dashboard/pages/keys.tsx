import type { FC } from 'hono/jsx'
import type { KeyView } from '../../keys/key-schema.js'
import { Csrf, Flash, Page, when } from '../layout.js'
import type { Session } from '../session-store.js'

const scopeHelp: Record<string, string> = { read: 'read data', draft: 'low-risk writes', actions: 'writes with side effects', admin: 'keys, webhooks, usage' }

export const KeysPage: FC<{ session: Session; orgName: string; keys: KeyView[]; canManage: boolean; minted?: { key: string; name: string } | undefined; error?: string | undefined; notice?: string | undefined }> = ({
  session,
  orgName,
  keys,
  canManage,
  minted,
  error,
  notice,
}) => (
  <Page title="API keys" session={session} current="/keys" orgName={orgName}>
    <h1>API keys</h1>
    <p class="muted">Keys let your systems and AI assistants call the API for {orgName}. Each key is shown once; Portico keeps only a hash.</p>
    <Flash error={error} notice={notice} />
    {minted ? (
      <dialog open id="minted" class="card reveal" aria-labelledby="minted-title">
        <h2 id="minted-title">Copy your new key “{minted.name}”</h2>
        <p class="warn">It will not be shown again. Store it in your secrets manager now.</p>
        <div class="copy">
          <input id="new-key" readonly value={minted.key} aria-label="New API key" />
          <button type="button" class="primary" data-copy="#new-key">
            Copy
          </button>
        </div>
        <form method="dialog">
          <button type="submit">I have stored it</button>
        </form>
      </dialog>
    ) : null}
    {canManage ? (
      <details class="card" open={keys.length === 0}>
        <summary>Mint key</summary>
        <form method="post" action="/keys" class="stack">
          <Csrf token={session.csrf} />
          <label for="key-name">Name</label>
          <input id="key-name" name="name" required maxlength={100} placeholder="Back-office sync" />
          <fieldset>
            <legend>Scopes</legend>
            {(['read', 'draft', 'actions', 'admin'] as const).map((s) => (
              <label class="check">
                <input type="checkbox" name="scopes" value={s} checked={s === 'read'} /> <code>{s}</code> <span class="muted">{scopeHelp[s]}</span>
              </label>
            ))}
          </fieldset>
          <label for="expiry">Expires</label>
          <select id="expiry" name="expires_in">
            <option value="never">Never</option>
            <option value="7d">In 7 days</option>
            <option value="30d">In 30 days</option>
            <option value="90d">In 90 days</option>
            <option value="1y">In 1 year</option>
          </select>
          <button type="submit" class="primary">
            Mint key
          </button>
        </form>
      </details>
    ) : (
      <p class="muted">Members can see keys; an Owner or Admin mints and revokes them.</p>
    )}
    <table>
      <caption class="sr-only">API keys</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Key</th>
          <th scope="col">Scopes</th>
          <th scope="col">Created</th>
          <th scope="col">Last used</th>
          <th scope="col">Expires</th>
          <th scope="col">Status</th>
          {canManage ? <th scope="col">Actions</th> : null}
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => (
          <tr>
            <td>{k.name}</td>
            <td>
              <code>{k.prefix}…</code>
            </td>
            <td>{k.scopes.join(', ')}</td>
            <td>{when(k.created_at)}</td>
            <td>{when(k.last_used_at)}</td>
            <td>{when(k.expires_at)}</td>
            <td>
              <span class={`badge ${k.status}`}>{k.status}</span>
            </td>
            {canManage ? (
              <td class="actions">
                {k.status === 'active' ? (
                  <>
                    <form method="post" action={`/keys/${k.id}/roll`} data-confirm={`Roll “${k.name}”? A new key replaces it and the old one stops working now.`}>
                      <Csrf token={session.csrf} />
                      <button type="submit">Roll</button>
                    </form>
                    <form method="post" action={`/keys/${k.id}/revoke`} data-confirm={`Revoke “${k.name}”? Requests with it fail at once. This cannot be undone.`}>
                      <Csrf token={session.csrf} />
                      <button type="submit" class="danger" aria-label={`Revoke ${k.name}`}>
                        Revoke
                      </button>
                    </form>
                  </>
                ) : null}
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  </Page>
)
