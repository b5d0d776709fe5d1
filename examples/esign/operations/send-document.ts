import { defineOperation, orgIdOf } from '../../../src/index.js'
import { sendDocument, view } from '../documents.js'
import { deliverSigningLinks } from '../mail.js'
import { DocumentIdParams, DocumentSchema } from '../schemas.js'

export const sendDocumentOp = defineOperation({
  id: 'documents.send',
  method: 'post',
  path: '/documents/{id}/send',
  tags: ['Documents'],
  summary: 'Send a document for signature',
  description:
    'DRAFT → PENDING. Every SIGNER needs a SIGNATURE field; a document that is not ready is a `validation_error` whose `fields` say what to fix. ' +
    "Each recipient's `signing_url` is in this answer, and is e-mailed to the recipient when the server has an SMTP server (`PORTICO_SMTP_URL`); the server log names the recipient, never the link. " +
    'A lost link is replaced with `POST /documents/{id}/recipients/{rid}/embed-token`.',
  scope: 'actions',
  limit: 'send',
  params: DocumentIdParams,
  output: DocumentSchema,
  status: 200,
  errors: ['conflict'],
  // Signing links are credentials: an idempotent replay answers them as null.
  secretFields: ['recipients.signing_url'],
  handler: async (input, ctx) => {
    const sent = await ctx.transaction((tx) => sendDocument(tx, orgIdOf(ctx.principal), input.id, ctx.publicUrl))
    deliverSigningLinks({ log: ctx.log, mail: ctx.services.mail, db: ctx.db }, sent)
    return view(sent.loaded, sent.links)
  },
})
