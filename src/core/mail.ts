export interface MailMessage {
  to: string
  subject: string
  text: string
}

/**
 * Sends Portico's e-mail (setup links, invitations, password resets, a product's notices) through
 * the SMTP server of PORTICO_SMTP_URL. Without one, `configured` is false and nothing is sent:
 * links are shown where they were issued instead, and nothing that needs a mailbox is offered.
 */
export interface Mailer {
  readonly configured: boolean
  /** Resolves once the SMTP server accepted the message; rejects with a one-line reason otherwise. */
  send(message: MailMessage): Promise<void>
  close(): void
}
