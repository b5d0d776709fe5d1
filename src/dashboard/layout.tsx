import { randomBytes } from 'node:crypto'
import { raw } from 'hono/html'
import type { Child, FC } from 'hono/jsx'
import { exactUtc, relativeTime } from './relative-time.js'
import type { OrgChoice, Session } from './session-store.js'

export const ASSETS = '/dashboard-assets'

/** What every signed-in page shows about who is looking. */
export interface Viewer {
  session: Session
  org: OrgChoice
  orgs: OrgChoice[]
  /** Pending invitations to other organisations, announced on every page until answered. */
  invitations?: number
  /** Whether the Upstreams page is in the menu: for Owners of a deployment with upstreams. */
  upstreams?: boolean
}

const nav = [
  ['/keys', 'API keys'],
  ['/webhooks', 'Webhooks'],
  ['/members', 'Members'],
  ['/usage', 'Usage'],
  ['/audit', 'Audit log'],
  ['/ai', 'AI access'],
] as const

const roleLabel = { owner: 'Owner', admin: 'Admin', member: 'Member' } as const

interface PageProps {
  title: string
  me?: Viewer | undefined
  current?: string
  /**
   * Set on pages answering a POST: the address the browser should show instead, so that reloading
   * asks for that page again rather than re-sending the form (app.js applies it).
   */
  location?: string | undefined
  children?: Child
}

/** Every page is in standards mode: without the doctype a browser lays it out in quirks mode. */
export const Page: FC<PageProps> = ({ title, me, current, location, children }) => (
  <>
    {raw('<!doctype html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title} · Portico</title>
        <link rel="icon" href={`${ASSETS}/favicon.svg`} type="image/svg+xml" />
        <link rel="stylesheet" href={`${ASSETS}/app.css`} />
        <script src={`${ASSETS}/app.js`} defer></script>
      </head>
      <body data-location={location}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        {me ? <TopBar me={me} current={current} /> : null}
        {me?.org.status === 'suspended' ? (
          <p class="banner" role="status">
            {me.org.name} is suspended: its API keys are refused and nothing can be changed until it is resumed.
          </p>
        ) : null}
        {me?.invitations ? (
          <p class="banner" role="status">
            You have {me.invitations === 1 ? 'an invitation' : `${me.invitations} invitations`} to join{' '}
            {me.invitations === 1 ? 'another organisation' : 'other organisations'}. <a href="/invitations">Review {me.invitations === 1 ? 'it' : 'them'}</a>
          </p>
        ) : null}
        <main id="main" class={me ? 'app' : 'narrow'}>
          {me ? null : (
            <p class="brand solo" aria-hidden="true">
              <Logo /> Portico
            </p>
          )}
          {children}
        </main>
        {me ? <ConfirmDialog /> : null}
      </body>
    </html>
  </>
)

const TopBar: FC<{ me: Viewer; current?: string | undefined }> = ({ me, current }) => (
  <header class="top">
    <a class="brand" href="/keys">
      <Logo /> Portico
    </a>
    <nav aria-label="Main">
      <ul>
        {[...nav, ...(me.upstreams ? ([['/upstreams', 'Upstreams']] as const) : [])].map(([href, label]) => (
          <li>
            <a href={href} aria-current={current === href ? 'page' : undefined}>
              {label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
    <div class="who">
      {me.orgs.length > 1 ? (
        <form method="post" action="/org" class="org-switch">
          <Csrf token={me.session.csrf} />
          <input type="hidden" name="back" value={current ?? '/keys'} />
          <label for="org-switch" class="sr-only">
            Organisation
          </label>
          <select id="org-switch" name="org_id">
            {me.orgs.map((o) => (
              <option value={o.id} selected={o.id === me.org.id}>
                {o.name}
              </option>
            ))}
          </select>
          <button type="submit" class="small">
            Switch
          </button>
        </form>
      ) : (
        <span class="org" title={me.org.name}>
          {me.org.name}
        </span>
      )}
      <span class="user">
        <span class="name" title={me.session.name}>
          {me.session.name}
        </span>{' '}
        <span class={`role ${me.session.role}`} title={`${me.session.name} (${me.session.email})`}>
          {roleLabel[me.session.role]}
        </span>
      </span>
      <form method="post" action="/logout">
        <Csrf token={me.session.csrf} />
        <button type="submit" class="link">
          Sign out
        </button>
      </form>
    </div>
  </header>
)

/** One modal for every confirmation, filled in by app.js from the form's data-confirm attributes. */
const ConfirmDialog: FC = () => (
  <dialog id="confirm" class="modal" aria-labelledby="confirm-title">
    <h2 id="confirm-title">Are you sure?</h2>
    <p id="confirm-text"></p>
    <div class="buttons">
      <button type="button" value="cancel" data-confirm-cancel>
        Cancel
      </button>
      <button type="button" value="ok" class="danger-solid" data-confirm-ok>
        Confirm
      </button>
    </div>
  </dialog>
)

const Logo: FC = () => (
  <svg class="logo" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
    <path d="M3 21V9l9-6 9 6v12h-6v-7H9v7z" fill="currentColor" />
  </svg>
)

export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />

/** A fresh value per rendered form: the server acts on it once (see DashboardKit.once). */
export const Once: FC = () => <input type="hidden" name="_once" value={randomBytes(18).toString('base64url')} />

export const Flash: FC<{ error?: string | undefined; notice?: string | undefined }> = ({ error, notice }) => (
  <>
    {error ? (
      <p class="flash error" role="alert">
        {error}
      </p>
    ) : null}
    {notice ? (
      <p class="flash notice" role="status">
        {notice}
      </p>
    ) : null}
  </>
)

export const Empty: FC<{ children?: Child }> = ({ children }) => <p class="empty">{children}</p>

/** A read-only value with a copy button (the button works through app.js; the field can be selected by hand). */
export const CopyField: FC<{ id: string; label: string; value: string; primary?: boolean }> = ({ id, label, value, primary }) => (
  <div class="copy">
    <label for={id} class="sr-only">
      {label}
    </label>
    <input id={id} readonly value={value} spellcheck={false} autocomplete="off" />
    <button type="button" class={primary ? 'primary' : undefined} data-copy={`#${id}`} aria-label={`Copy ${label.toLowerCase()}`}>
      Copy
    </button>
  </div>
)

/** `3 min ago`, `in 23 h`: short enough for a table; the exact UTC time is in the tooltip. */
export const When: FC<{ at: string | null | undefined }> = ({ at }) =>
  at ? (
    <time datetime={at} title={exactUtc(at)}>
      {relativeTime(at)}
    </time>
  ) : (
    <span class="muted">—</span>
  )

/** The link to a list's next page, when there is one: `href` is the path, `query` what else it keeps. */
export const MoreLink: FC<{ path: string; cursor: string | null | undefined; query?: Record<string, string>; children?: Child }> = ({
  path,
  cursor,
  query,
  children,
}) =>
  cursor ? (
    <p>
      <a href={`${path}?${new URLSearchParams({ ...query, cursor })}`}>{children}</a>
    </p>
  ) : null

/**
 * A list's search box (`?q=`, at most 100 characters, as the list operations take it): `keep` is
 * the rest of the list's address (its filter) that a search keeps; Clear drops only the search.
 */
export const SearchForm: FC<{ action: string; id: string; label: string; placeholder: string; q: string; keep?: Record<string, string> }> = ({
  action,
  id,
  label,
  placeholder,
  q,
  keep = {},
}) => {
  const clear = new URLSearchParams(keep).toString()
  return (
    <form method="get" action={action} class="search" role="search">
      {Object.entries(keep).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <label for={id} class="sr-only">
        {label}
      </label>
      <input id={id} type="search" name="q" value={q} maxlength={100} placeholder={placeholder} />
      <button type="submit">Search</button>
      {q ? <a href={clear ? `${action}?${clear}` : action}>Clear</a> : null}
    </form>
  )
}

/** What a list page searches for: `?q=` of a GET, trimmed and capped like the operations' `q`; none under a form's answer. */
export const searchOf = (method: string, query: (name: string) => string | undefined) => (method === 'GET' ? (query('q') ?? '').trim().slice(0, 100) : '')

/** A table's column headings; `actions` adds the unlabelled (screen-reader only) column for row buttons. */
export const TableHead: FC<{ columns: string[]; actions?: boolean }> = ({ columns, actions }) => (
  <thead>
    <tr>
      {columns.map((name) => (
        <th scope="col">{name}</th>
      ))}
      {actions ? (
        <th scope="col">
          <span class="sr-only">Actions</span>
        </th>
      ) : null}
    </tr>
  </thead>
)
