import type { Child, FC } from 'hono/jsx'
import { Csrf, Page, type Viewer } from '../layout.js'

export interface Confirmation {
  /** The question, e.g. `Revoke “CI pipeline”?` */
  title: string
  /** What happens, in one or two sentences. */
  message: string
  /** The label of the button that does it. */
  action: string
  /** Where the form posts. */
  href: string
  /** Fields to post again with `confirmed=1`. */
  fields?: Record<string, string>
  /** Where Cancel goes. */
  back: string
}

/**
 * Irreversible actions post `confirmed=1`. With scripts on, app.js asks in a modal first and adds
 * it; without scripts, the server answers this page, which asks the same question.
 */
export const ConfirmPage: FC<{ me: Viewer; current: string; confirm: Confirmation }> = ({ me, current, confirm }) => (
  <Page title={confirm.title} me={me} current={current}>
    <div class="card narrow-card">
      <h1>{confirm.title}</h1>
      <p>{confirm.message}</p>
      <form method="post" action={confirm.href} class="buttons">
        <Csrf token={me.session.csrf} />
        <input type="hidden" name="confirmed" value="1" />
        {Object.entries(confirm.fields ?? {}).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <a class="button" href={confirm.back}>
          Cancel
        </a>
        <button type="submit" class="danger-solid" autofocus>
          {confirm.action}
        </button>
      </form>
    </div>
  </Page>
)

/** What a confirmation asks: the same words in the modal and on the page without script. */
export type Question = Pick<Confirmation, 'title' | 'message' | 'action'>

/** Attributes for a form whose submission app.js confirms in the modal first. */
const confirmAttrs = ({ title, message, action }: Question) => ({
  'data-confirm': message,
  'data-confirm-title': title,
  'data-confirm-action': action,
})

interface PostButtonProps {
  me: Viewer
  /** Where the form posts. */
  action: string
  /** Asked in the modal before the form is sent. */
  confirm?: Question
  class?: string
  /** The button's accessible name, when its text alone does not say what it acts on. */
  label?: string
  children?: Child
}

/** A form that is one button: posts to `action` with the CSRF token, confirmed first when asked. */
export const PostButton: FC<PostButtonProps> = ({ me, action, confirm, class: className, label, children }) => (
  <form method="post" action={action} {...(confirm ? confirmAttrs(confirm) : {})}>
    <Csrf token={me.session.csrf} />
    <button type="submit" class={className} aria-label={label}>
      {children}
    </button>
  </form>
)
