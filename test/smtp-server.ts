import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  from: string
  to: string[]
  subject: string
  text: string
}

/** Quoted-printable soft breaks and escapes, as nodemailer writes a long line. */
function decodeQuotedPrintable(body: string): string {
  return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`), as nodemailer writes a subject with quotes in it. */
function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, _charset: string, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
    )
}

/**
 * A real SMTP server on a free local port, keeping every message it accepts, for the suites that
 * check what Portico e-mails. No TLS and no authentication: it listens on 127.0.0.1 only.
 */
export async function startSmtpServer() {
  const received: ReceivedMail[] = []
  const waiters: (() => void)[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let raw = ''
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => (raw += chunk))
      stream.on('end', () => {
        const split = raw.indexOf('\r\n\r\n')
        const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ')
        const body = raw.slice(split + 4)
        const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1]?.trim() ?? ''
        const text = /quoted-printable/i.test(header('Content-Transfer-Encoding')) ? decodeQuotedPrintable(body) : body
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: decodeHeader(header('Subject')),
          text: text.replace(/\r\n/g, '\n'),
        })
        for (const wake of waiters.splice(0)) wake()
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as { port: number }).port
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** The first message to `to` matching `test`, waiting up to `ms` for it. */
    async next(to: string, test: (m: ReceivedMail) => boolean = () => true, ms = 10_000): Promise<ReceivedMail> {
      const deadline = Date.now() + ms
      for (;;) {
        const found = received.find((m) => m.to.includes(to) && test(m))
        if (found) return found
        if (Date.now() > deadline) throw new Error(`no e-mail to ${to} within ${ms} ms (got ${received.length}: ${received.map((m) => m.subject).join('; ')})`)
        await new Promise<void>((r) => {
          waiters.push(r)
          setTimeout(r, 200)
        })
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
