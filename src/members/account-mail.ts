import type { MailMessage } from '../mail/mailer.js'

/** The e-mails Portico sends about accounts. Plain text: a link, what it does, how long it works. */
export const accountMail = {
  setupLink(to: string, input: { orgName: string; invitedBy: string; url: string }): MailMessage {
    return {
      to,
      subject: `You have been added to ${input.orgName} on Portico`,
      text:
        `${input.invitedBy} added you to ${input.orgName} on Portico.\n\n` +
        `Choose your password here (the link works once, for 7 days):\n${input.url}\n\n` +
        `If you did not expect this, ignore this e-mail.\n`,
    }
  },

  invitation(to: string, input: { orgName: string; invitedBy: string; url: string }): MailMessage {
    return {
      to,
      subject: `Invitation to ${input.orgName} on Portico`,
      text:
        `${input.invitedBy} invited you to join ${input.orgName} on Portico.\n\n` +
        `Sign in with your own password and accept or decline it here:\n${input.url}\n\n` +
        `Nothing changes until you accept.\n`,
    }
  },

  passwordReset(to: string, input: { url: string }): MailMessage {
    return {
      to,
      subject: 'Choose a new Portico password',
      text:
        `Someone asked to reset the password of the Portico account ${to}.\n\n` +
        `Choose a new password here (the link works once, within an hour):\n${input.url}\n\n` +
        `If it was not you, ignore this e-mail: your password stays as it is.\n`,
    }
  },
}
