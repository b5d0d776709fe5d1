import type { FC } from 'hono/jsx'
import { Flash, Page } from '../layout.js'

export const LoginPage: FC<{ csrf: string; error?: string | undefined; email?: string | undefined }> = ({ csrf, error, email }) => (
  <Page title="Sign in">
    <h1>Sign in to Portico</h1>
    <Flash error={error} />
    <form method="post" action="/login" class="card stack">
      <input type="hidden" name="_csrf" value={csrf} />
      <label for="email">E-mail</label>
      <input id="email" name="email" type="email" autocomplete="username" required value={email ?? ''} autofocus />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
      <button type="submit" class="primary">Sign in</button>
    </form>
  </Page>
)

export const FirstRunPage: FC<{ csrf: string; action: string; error?: string | undefined }> = ({ csrf, action, error }) => (
  <Page title="Set up Portico">
    <h1>Set up Portico</h1>
    <p class="muted">Create your organisation and its Owner account. This link works once.</p>
    <Flash error={error} />
    <form method="post" action={action} class="card stack">
      <input type="hidden" name="_csrf" value={csrf} />
      <label for="org">Organisation name</label>
      <input id="org" name="org" required maxlength={100} autofocus />
      <label for="name">Your name</label>
      <input id="name" name="name" required maxlength={200} autocomplete="name" />
      <label for="email">E-mail</label>
      <input id="email" name="email" type="email" required autocomplete="username" />
      <label for="password">Password (at least 10 characters)</label>
      <input id="password" name="password" type="password" required minlength={10} autocomplete="new-password" />
      <button type="submit" class="primary">Create organisation</button>
    </form>
  </Page>
)

export const SetPasswordPage: FC<{ csrf: string; action: string; email: string; error?: string | undefined }> = ({ csrf, action, email, error }) => (
  <Page title="Choose a password">
    <h1>Welcome to Portico</h1>
    <p class="muted">Choose a password for {email}. This link works once.</p>
    <Flash error={error} />
    <form method="post" action={action} class="card stack">
      <input type="hidden" name="_csrf" value={csrf} />
      <label for="password">Password (at least 10 characters)</label>
      <input id="password" name="password" type="password" required minlength={10} autocomplete="new-password" autofocus />
      <button type="submit" class="primary">Set password and sign in</button>
    </form>
  </Page>
)

export const MessagePage: FC<{ title: string; message: string }> = ({ title, message }) => (
  <Page title={title}>
    <h1>{title}</h1>
    <p>{message}</p>
    <p>
      <a href="/login">Sign in</a>
    </p>
  </Page>
)
