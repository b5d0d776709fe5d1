import { createTransport, type Transporter } from 'nodemailer'
import type { Logger } from 'pino'
import type { Mailer } from '../core/mail.js'

export type { Mailer, MailMessage } from '../core/mail.js'

export class MailNotConfigured extends Error {
  constructor() {
    super('no SMTP server is configured (PORTICO_SMTP_URL)')
    this.name = 'MailNotConfigured'
  }
}

/** `smtp://user:pass@host:587` (STARTTLS when offered), `smtps://…:465`; `from` is the sender shown. */
export function createMailer(options: { smtpUrl: string | undefined; from: string; log: Logger }): Mailer {
  if (!options.smtpUrl) {
    return {
      configured: false,
      send: () => Promise.reject(new MailNotConfigured()),
      close: () => {},
    }
  }
  const transport: Transporter = createTransport(options.smtpUrl, { from: options.from })
  return {
    configured: true,
    async send(message) {
      try {
        await transport.sendMail({ from: options.from, to: message.to, subject: message.subject, text: message.text })
      } catch (error) {
        // The message is the SMTP server's answer; the body (which may hold a link) is never logged.
        const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error)
        options.log.warn({ subject: message.subject, reason }, 'e-mail not sent')
        throw new Error(`the e-mail could not be sent: ${reason}`, { cause: error })
      }
    },
    close: () => transport.close(),
  }
}
