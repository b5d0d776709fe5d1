import type { FC } from 'hono/jsx'
import { Flash, Page } from '../layout.js'

export const MIN_PASSWORD = 10

export const LoginPage: FC<{ csrf: string; error?: string | undefined; email?: string | undefined; next?: string | undefined; notSetUp?: boolean }> = ({
  csrf,
  error,
  email,
  next,
  notSetUp,
}) => (
  <Page title="Sign in">
    <h1>Sign in</h1>
    {notSetUp ? (
      <p class="flash notice" role="status">
        Portico is not set up yet: open the one-time setup link the server printed when it started.
      </p>
    ) : null}
    <Flash error={error} />
    <form method="post" action="/login" class="card stack">
      <input type="hidden" name="_csrf" value={csrf} />
      {next ? <input type="hidden" name="next" value={next} /> : null}
      <label for="email">E-mail</label>
      <input id="email" name="email" type="email" autocomplete="username" required value={email ?? ''} autofocus={!email} />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required autofocus={Boolean(email)} />
      <button type="submit" class="primary">
        Sign in
      </button>
    </form>
    <p>
      <a href="/forgot">Forgot your password?</a>
    </p>
  </Page>
)

export const FirstRunPage: FC<{ csrf: string; action: string; error?: string | undefined; values?: { org?: string; name?: string; email?: string } }> = ({
  csrf,
  action,
  error,
  values = {},
}) => (
  <Page title="Set up Portico">
    <h1>Set up Portico</h1>
    <p class="muted">Create your organisation and its Owner account. This link works once.</p>
    <Flash error={error} />
    <form method="post" action={action} class="card stack">
      <input type="hidden" name="_csrf" value={csrf} />
      <label for="org">Organisation name</label>
      <input id="org" name="org" required maxlength={100} autofocus value={values.org ?? ''} />
      <OwnerFields values={values} />
      <button type="submit" class="primary">
        Create organisation
      </button>
    </form>
  </Page>
)

export const SetPasswordPage: FC<{ csrf: string; action: string; email: string; error?: string | undefined }> = ({ csrf, action, email, error }) => (
  <Page title="Choose a password">
    <h1>Welcome to Portico</h1>
    <p class="muted">Choose a password for {email}. This link works once.</p>
    <Flash error={error} />
    <PasswordForm csrf={csrf} action={action} email={email} label="Password" />
  </Page>
)

/** A new password's field and the hint that states its rule. */
const NewPassword: FC<{ label: string; autofocus?: boolean }> = ({ label, autofocus }) => (
  <>
    <label for="password">{label}</label>
    <input id="password" name="password" type="password" required minlength={MIN_PASSWORD} autocomplete="new-password" autofocus={autofocus} aria-describedby="password-hint" />
    <p id="password-hint" class="hint">
      At least {MIN_PASSWORD} characters.
    </p>
  </>
)

/** An Owner account's fields (name, e-mail, password), on the first-run form and an organisation's Owner setup. */
export const OwnerFields: FC<{ values: { name?: string; email?: string }; autofocus?: boolean }> = ({ values, autofocus }) => (
  <>
    <label for="name">Your name</label>
    <input id="name" name="name" required maxlength={200} autocomplete="name" autofocus={autofocus} value={values.name ?? ''} />
    <label for="email">E-mail</label>
    <input id="email" name="email" type="email" required maxlength={254} autocomplete="username" value={values.email ?? ''} />
    <NewPassword label="Password" />
  </>
)

/** The form that sets an account's password from a one-time link: first setup and reset alike. */
export const PasswordForm: FC<{ csrf: string; action: string; email: string; label: string }> = ({ csrf, action, email, label }) => (
  <form method="post" action={action} class="card stack">
    <input type="hidden" name="_csrf" value={csrf} />
    <input type="hidden" name="email" value={email} autocomplete="username" />
    <NewPassword label={label} autofocus />
    <button type="submit" class="primary">
      Set password and sign in
    </button>
  </form>
)

export const MessagePage: FC<{ title: string; message: string; signedIn?: boolean }> = ({ title, message, signedIn }) => (
  <Page title={title}>
    <h1>{title}</h1>
    <p>{message}</p>
    <p>{signedIn ? <a href="/keys">Back to the dashboard</a> : <a href="/login">Sign in</a>}</p>
  </Page>
)
