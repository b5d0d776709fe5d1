import type { Mailer } from './mailer.js'

declare module '../core/context.js' {
  interface Services {
    /** Portico's e-mail (PORTICO_SMTP_URL); `configured` is false when there is none. */
    mail: Mailer
  }
}
