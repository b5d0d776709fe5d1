import type { Child, FC } from 'hono/jsx'
import type { Session } from './session-store.js'

export const ASSETS = '/dashboard-assets'

const nav = [
  ['/keys', 'API keys'],
  ['/webhooks', 'Webhooks'],
  ['/members', 'Members'],
  ['/usage', 'Usage'],
  ['/ai', 'AI access'],
] as const

export const Page: FC<{ title: string; session?: Session | undefined; current?: string; orgName?: string; children?: Child }> = ({ title, session, current, orgName, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{title} · Portico</title>
      <link rel="stylesheet" href={`${ASSETS}/app.css`} />
      <script src={`${ASSETS}/app.js`} defer></script>
    </head>
    <body>
      <a class="skip" href="#main">Skip to content</a>
      {session ? (
        <header class="top">
          <span class="brand">Portico</span>
          <nav aria-label="Main">
            {nav.map(([href, label]) => (
              <a href={href} aria-current={current === href ? 'page' : undefined}>
                {label}
              </a>
            ))}
          </nav>
          <form method="post" action="/logout" class="who">
            <span>
              {session.name} · {orgName} · <em>{session.role}</em>
            </span>
            <Csrf token={session.csrf} />
            <button type="submit" class="link">Sign out</button>
          </form>
        </header>
      ) : null}
      <main id="main" class={session ? 'app' : 'narrow'}>
        {children}
      </main>
    </body>
  </html>
)

export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />

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

export const when = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/:\d\dZ$/, ' UTC') : '—')
