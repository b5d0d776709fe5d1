import type { AnyDb, Mailer, OperationContext } from '../../src/index.js'
import { logSigningLinks, type LoadedDocument, type SentDocument } from './documents.js'
import { askedTo, organisationName as orgName } from './signing.js'

interface Deliver {
  log: OperationContext['log']
  mail: Mailer
  db: AnyDb
}


/**
 * Each recipient's signing link goes to their own address when Portico has an SMTP server
 * (PORTICO_SMTP_URL); the log says a link went out and to whom, never the link. Sent once the
 * transaction has committed and after the answer, so a slow mail server never holds it up.
 */
export function deliverSigningLinks(ctx: Deliver, sent: SentDocument): void {
  logSigningLinks(ctx.log, sent)
  if (!ctx.mail.configured) return
  void (async () => {
    const from = await orgName(ctx.db, sent.loaded.doc.org_id)
    for (const r of sent.loaded.recipients) {
      const url = sent.links.get(r.id)
      if (!url) continue
      const asked = askedTo(r.role)
      await ctx.mail
        .send({
          to: r.email,
          subject: `${from} sent you "${sent.loaded.doc.title}" ${asked}`,
          text: `${from} sent you "${sent.loaded.doc.title}" ${asked}.\n\nOpen it here (this link is yours alone; do not forward it):\n${url}\n`,
        })
        .then(
          () => ctx.log.info({ document_id: sent.loaded.doc.id, recipient_id: r.id }, `signing link e-mailed to ${r.email}`),
          (err: unknown) => ctx.log.warn({ document_id: sent.loaded.doc.id, recipient_id: r.id, err: String(err) }, `signing link not e-mailed to ${r.email}`),
        )
    }
  })().catch((err: unknown) => ctx.log.warn({ err: String(err) }, 'signing links not e-mailed'))
}

/** Once everyone has signed: a notice to each recipient that the signed copy is ready behind their own link. */
export function noticeCompleted(ctx: Deliver, after: LoadedDocument): void {
  if (!ctx.mail.configured || after.doc.status !== 'COMPLETED') return
  void (async () => {
    const from = await orgName(ctx.db, after.doc.org_id)
    for (const r of after.recipients) {
      await ctx.mail
        .send({
          to: r.email,
          subject: `"${after.doc.title}" is signed by everyone`,
          text: `Everyone has signed "${after.doc.title}" from ${from}.\n\nThe signed PDF opens from the signing link you were sent, for as long as ${from} keeps the document.\n`,
        })
        .catch((err: unknown) => ctx.log.warn({ document_id: after.doc.id, recipient_id: r.id, err: String(err) }, 'completion notice not e-mailed'))
    }
  })().catch((err: unknown) => ctx.log.warn({ err: String(err) }, 'completion notices not e-mailed'))
}
