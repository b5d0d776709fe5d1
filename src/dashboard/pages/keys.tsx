import type { FC } from 'hono/jsx'
import type { KeyView } from '../../keys/key-schema.js'
import { CopyField, Csrf, Empty, Flash, MoreLink, Once, Page, SearchForm, TableHead, When, type Viewer } from '../layout.js'
import { exactUtc, relativeTime } from '../relative-time.js'
import { PostButton, type Question } from './confirm.js'
import { CreditsCell, expiresIn, KeyRulesFields } from './key.js'

export const revokeQuestion = (k: { name: string }): Question => ({
  title: `Revoke “${k.name}”?`,
  message: 'Requests with this key fail from now on. This cannot be undone.',
  action: 'Revoke key',
})

export const scopeHelp: Record<string, string> = {
  read: 'read data',
  draft: 'low-risk writes',
  actions: 'writes with side effects',
  admin: 'keys, webhooks, usage, audit log',
}
export const expiryChoices = [
  ['never', 'Never'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
  ['1y', '1 year'],
] as const

export interface MintedKey {
  key: string
  name: string
  prefix: string
}

/** The list's status filter: revoked and expired keys are hidden unless asked for. */
export const keyTabs = [
  ['active', 'Active'],
  ['expiring', 'Expiring'],
  ['revoked', 'Revoked'],
  ['expired', 'Expired'],
  ['all', 'All'],
] as const
export type KeyTab = (typeof keyTabs)[number][0]

/** What the list shows: its filter, and the display prefix of every key a shown key's lineage names. */
export interface KeyListView {
  status: KeyTab
  q: string
  prefixes: Record<string, string>
}

interface KeysPageProps {
  me: Viewer & { canManage: boolean }
  keys: KeyView[]
  view?: KeyListView
  nextCursor?: string | null | undefined
  minted?: MintedKey | undefined
  error?: string | undefined
  notice?: string | undefined
  location?: string | undefined
}

const listHref = (status: KeyTab, q: string) => {
  const query = new URLSearchParams({ ...(status === 'active' ? {} : { status }), ...(q ? { q } : {}) }).toString()
  return query ? `/keys?${query}` : '/keys'
}

const KeyFilter: FC<{ view: KeyListView }> = ({ view }) => (
  <div class="toolbar">
    <nav class="segmented" aria-label="Key status">
      {keyTabs.map(([status, label]) => (
        <a href={listHref(status, view.q)} aria-current={view.status === status ? 'true' : undefined}>
          {label}
        </a>
      ))}
    </nav>
    <SearchForm action="/keys" id="key-search" label="Search keys" placeholder="Name, prefix or id" q={view.q} keep={view.status === 'active' ? {} : { status: view.status }} />
  </div>
)

const emptyText = (view: KeyListView | undefined) =>
  !view || (view.status === 'all' && !view.q)
    ? 'No keys yet.'
    : `No ${view.status === 'all' ? '' : `${view.status} `}keys${view.q ? ` match “${view.q}”` : ''}.`

/** “replaces ptk_…” and “replaced by ptk_…”: a roll's two keys, each a link to the other. */
const Lineage: FC<{ k: KeyView; prefixes: Record<string, string> }> = ({ k, prefixes }) => {
  const link = (id: string, otherwise: string) => <a href={`/keys?status=all&q=${id}`}>{prefixes[id] ? <code>{prefixes[id]}…</code> : otherwise}</a>
  if (!k.rolled_from && !k.replaced_by) return null
  return (
    <div class="lineage small-text muted">
      {k.rolled_from ? <span>replaces {link(k.rolled_from, 'an earlier key')}</span> : null}
      {k.rolled_from && k.replaced_by ? ' · ' : null}
      {k.replaced_by ? <span>replaced by {link(k.replaced_by, 'a newer key')}</span> : null}
    </div>
  )
}

export const KeysPage: FC<KeysPageProps> = ({ me, keys, view, nextCursor, minted, error, notice, location }) => (
  <Page title="API keys" me={me} current="/keys" location={location}>
    <div class="heading">
      <div>
        <h1>API keys</h1>
        <p class="muted">Keys let your systems and AI assistants call the API for {me.org.name}. Each key is shown once; Portico keeps only a hash.</p>
      </div>
    </div>
    <Flash error={error} notice={notice} />
    {minted ? <MintedDialog minted={minted} /> : null}
    {me.canManage ? (
      <details class="card" open={keys.length === 0 || Boolean(error)}>
        <summary>Mint key</summary>
        <MintForm me={me} action="/keys" button="Mint key" />
      </details>
    ) : null}
    {me.canManage ? (
      <details class="card">
        <summary>Import keys</summary>
        <ImportForm me={me} />
      </details>
    ) : (
      <p class="note">You are a Member: you can see keys; an Owner or Admin mints, rolls and revokes them.</p>
    )}
    {view ? <KeyFilter view={view} /> : null}
    {keys.length === 0 ? (
      <Empty>{emptyText(view)}</Empty>
    ) : (
      <div class="table-wrap">
        <table class="keys cards">
          <caption class="sr-only">API keys of {me.org.name}</caption>
          <TableHead columns={['Name', 'Key', 'Scopes', 'Created', 'Last used', 'Expires in', 'Credits', 'Status']} actions={me.canManage} />
          <tbody>
            {keys.map((k) => (
              <tr>
                <th scope="row">
                  <a class="name" href={`/keys/${k.id}`}>
                    {k.name}
                  </a>
                  <Lineage k={k} prefixes={view?.prefixes ?? {}} />
                </th>
                <td data-label="Key">
                  <code>{k.prefix}…</code>
                  {k.imported ? (
                    <>
                      {' '}
                      <span class="chip" title="Imported from another system: it keeps its original plaintext">
                        imported
                      </span>
                    </>
                  ) : null}
                </td>
                <td data-label="Scopes">
                  <Scopes scopes={k.scopes} />
                </td>
                <td data-label="Created">
                  <When at={k.created_at} />
                </td>
                <td data-label="Last used">
                  <When at={k.last_used_at} />
                </td>
                <td data-label="Expires in">{k.expires_at ? <span title={exactUtc(k.expires_at)}>{expiresIn(k)}</span> : <span class="muted">never</span>}</td>
                <td data-label="Credits">
                  <CreditsCell k={k} />
                </td>
                <td data-label="Status">
                  <Status k={k} />
                </td>
                {me.canManage ? (
                  <td class="actions">
                    {k.status === 'active' ? (
                      <>
                        {k.revoked_at ? null : (
                          <a class="button small" href={`/keys/${k.id}/roll`} aria-label={`Roll ${k.name}`}>
                            Roll
                          </a>
                        )}
                        <PostButton
                          me={me}
                          action={`/keys/${k.id}/revoke`}
                          class="small danger"
                          label={`Revoke ${k.name}`}
                          confirm={revokeQuestion(k)}
                        >
                          Revoke
                        </PostButton>
                      </>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )}
    <MoreLink path="/keys" cursor={nextCursor} query={view ? { ...(view.status === 'active' ? {} : { status: view.status }), ...(view.q ? { q: view.q } : {}) } : {}}>
      Older keys →
    </MoreLink>
  </Page>
)

export const Scopes: FC<{ scopes: readonly string[] }> = ({ scopes }) => (
  <span class="chips">
    {scopes.map((s) => (
      <span class="chip" title={scopeHelp[s]}>
        {s}
      </span>
    ))}
  </span>
)

const Status: FC<{ k: KeyView }> = ({ k }) =>
  k.status === 'active' && k.revoked_at ? (
    <span class="badge expired" title={`The old key of a roll; it stops at ${exactUtc(k.revoked_at)}`}>
      ends {relativeTime(k.revoked_at)}
    </span>
  ) : k.status === 'revoked' && k.revoked_reason === 'leaked' ? (
    <span class="badge revoked" title="Found in public by a secret-scanning report and revoked at once">
      revoked: leaked
    </span>
  ) : (
    <span class={`badge ${k.status}`}>{k.status}</span>
  )

/** Name, scopes (read pre-checked) and expiry; also used on the AI access page. */
export const MintForm: FC<{ me: Viewer; action: string; button: string; name?: string }> = ({ me, action, button, name }) => (
  <form method="post" action={action} class="stack mint">
    <Csrf token={me.session.csrf} />
    <Once />
    <label for="key-name">Name</label>
    <input id="key-name" name="name" required maxlength={100} placeholder="Back-office sync" value={name} aria-describedby="key-name-hint" />
    <p id="key-name-hint" class="hint">
      What uses it, so you know which one to revoke later.
    </p>
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
      {expiryChoices.map(([value, label]) => (
        <option value={value}>{value === 'never' ? label : `In ${label}`}</option>
      ))}
    </select>
    <details class="more">
      <summary>Metadata, credits and IP allow-list</summary>
      <KeyRulesFields idPrefix={`${action.replace(/\W+/g, '') || 'mint'}`} />
    </details>
    <div>
      <button type="submit" class="primary">
        {button}
      </button>
    </div>
  </form>
)

/** Keys from another system, one a line, by the SHA-256 of their plaintext: `POST /keys/import` in a batch. */
export const ImportForm: FC<{ me: Viewer }> = ({ me }) => (
  <form method="post" action="/keys/import" class="stack mint">
    <Csrf token={me.session.csrf} />
    <Once />
    <label for="import-keys">Keys</label>
    <textarea id="import-keys" name="keys" required rows={6} spellcheck={false} placeholder="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 sk_live_ Billing sync" aria-describedby="import-keys-hint" />
    <p id="import-keys-hint" class="hint">
      One key a line, up to 1,000: the SHA-256 of its plaintext in hex (never the key itself), its prefix (the first characters of the key, 4-32 of A-Z a-z 0-9 _ . -), then its
      name. They keep working with their original plaintext. All are imported, or none.
    </p>
    <fieldset>
      <legend>Scopes of every imported key</legend>
      {(['read', 'draft', 'actions', 'admin'] as const).map((s) => (
        <label class="check">
          <input type="checkbox" name="scopes" value={s} checked={s === 'read'} /> <code>{s}</code> <span class="muted">{scopeHelp[s]}</span>
        </label>
      ))}
    </fieldset>
    <div>
      <button type="submit">Import keys</button>
    </div>
  </form>
)

/** The one place a full key appears: the answer to the POST that minted it, never stored, never cached. */
export const MintedDialog: FC<{ minted: MintedKey; children?: unknown }> = ({ minted, children }) => (
  <dialog open id="minted" class="modal reveal" aria-labelledby="minted-title" aria-describedby="minted-warning" data-modal>
    <h2 id="minted-title">Your new key “{minted.name}”</h2>
    <p id="minted-warning" class="warn">
      Copy it now: it will not be shown again. Portico keeps only a hash.
    </p>
    <CopyField id="new-key" label="New API key" value={minted.key} primary />
    {children}
    <form method="dialog" class="buttons">
      <button type="submit" data-close-dialog>
        I have stored it
      </button>
    </form>
  </dialog>
)

export const RollPage: FC<{ me: Viewer; k: KeyView; error?: string | undefined }> = ({ me, k, error }) => (
  <Page title={`Roll ${k.name}`} me={me} current="/keys">
    <p class="crumbs">
      <a href="/keys">API keys</a> / Roll
    </p>
    <h1>Roll “{k.name}”</h1>
    <p class="muted">
      A new key with the same name, scopes, expiry and limits replaces <code>{k.prefix}…</code>. You see the new key once. Give your systems time to switch
      before the old key stops.
    </p>
    <Flash error={error} />
    <form method="post" action={`/keys/${k.id}/roll`} class="card stack">
      <Csrf token={me.session.csrf} />
      <Once />
      <label for="grace">The old key stops working</label>
      <select id="grace" name="grace_period_seconds">
        <option value="0">Now</option>
        <option value="3600">In 1 hour</option>
        <option value="86400">In 24 hours</option>
        <option value="604800">In 7 days</option>
      </select>
      <div class="buttons">
        <a class="button" href="/keys">
          Cancel
        </a>
        <button type="submit" class="primary">
          Roll key
        </button>
      </div>
    </form>
  </Page>
)
