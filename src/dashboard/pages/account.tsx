import type { FC } from 'hono/jsx'
import { Flash, Page } from '../layout.js'
import { OwnerFields, PasswordForm } from './auth.js'

/** "Forgot password": one e-mail field; the answer is the same whether or not the address is an account. */
export const ForgotPasswordPage: FC<{ csrf: string; mailConfigured: boolean; sent?: boolean; error?: string | undefined; email?: string }> = ({
  csrf,
  mailConfigured,
  sent,
  error,
  email,
}) => (
  <Page title="Forgot password">
    <h1>Forgot your password?</h1>
    {!mailConfigured ? (
      <p>
        This Portico server sends no e-mail, so it cannot send you a reset link. Ask whoever runs it for one: they can print it with{' '}
        <code>portico setup-link --email you@example.com</code>.
      </p>
    ) : sent ? (
      <p class="flash notice" role="status">
        If {email} has a Portico account, a link to choose a new password is on its way. It works once, within an hour.
      </p>
    ) : (
      <>
        <p class="muted">We e-mail you a link to choose a new password. It works once, within an hour.</p>
        <Flash error={error} />
        <form method="post" action="/forgot" class="card stack">
          <input type="hidden" name="_csrf" value={csrf} />
          <label for="email">E-mail</label>
          <input id="email" name="email" type="email" autocomplete="username" required maxlength={254} autofocus value={email ?? ''} />
          <button type="submit" class="primary">
            Send the link
          </button>
        </form>
      </>
    )}
    <p>
      <a href="/login">Back to sign in</a>
    </p>
  </Page>
)

export const ResetPasswordPage: FC<{ csrf: string; action: string; email: string; error?: string | undefined }> = ({ csrf, action, email, error }) => (
  <Page title="Choose a new password">
    <h1>Choose a new password</h1>
    <p class="muted">For {email}. This link works once; every other session of this account is signed out.</p>
    <Flash error={error} />
    <PasswordForm csrf={csrf} action={action} email={email} label="New password" />
  </Page>
)

export const OwnerSetupPage: FC<{ csrf: string; action: string; orgName: string; error?: string | undefined; values?: { name?: string; email?: string } }> = ({
  csrf,
  action,
  orgName,
  error,
  values = {},
}) => (
  <Page title="Set up the Owner account">
    <h1>Set up {orgName}</h1>
    <p class="muted">Create the Owner account of {orgName}. This link works once.</p>
    <Flash error={error} />
    <form method="post" action={action} class="card stack">
      <input type="hidden" name="_csrf" value={csrf} />
      <OwnerFields values={values} autofocus />
      <button type="submit" class="primary">
        Create the Owner account
      </button>
    </form>
  </Page>
)
