import { defineOperation, orgIdOf } from '../../../src/index.js'
import { logSigningLinks, sendDocument, view } from '../documents.js'
import { DocumentIdParams, DocumentSchema } from '../schemas.js'

export const sendDocumentOp = defineOperation({
  id: 'documents.send',
  method: 'post',
  path: '/documents/{id}/send',
  tags: ['Documents'],
  summary: 'Send a document for signature',
  description:
    'DRAFT → PENDING. Every SIGNER needs a SIGNATURE field; a document that is not ready is a `validation_error` whose `fields` say what to fix. ' +
    "This answer is the only place each recipient's `signing_url` appears (no e-mail is sent by this example, and the server log names the recipient, never the link). " +
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
    logSigningLinks(ctx.log, sent)
    return view(sent.loaded, sent.links)
  },
})
