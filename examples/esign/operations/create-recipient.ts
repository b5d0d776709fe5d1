import { defineOperation, orgIdOf } from '../../../src/index.js'
import { insertRecipient, loadDocument, requireDraft } from '../documents.js'
import { DocumentIdParams, RecipientInput, RecipientSchema, toRecipientView } from '../schemas.js'

export const createRecipient = defineOperation({
  id: 'recipients.create',
  method: 'post',
  path: '/documents/{id}/recipients',
  tags: ['Documents'],
  summary: 'Add a recipient to a draft',
  description: 'A SIGNER signs (and needs a SIGNATURE field before the document can be sent), an APPROVER signs too, a VIEWER receives a link to read.',
  scope: 'draft',
  params: DocumentIdParams,
  body: RecipientInput,
  output: RecipientSchema,
  handler: async ({ id, ...input }, ctx) =>
    ctx.transaction(async (tx) => {
      const orgId = orgIdOf(ctx.principal)
      requireDraft((await loadDocument(tx.db, orgId, id)).doc)
      return toRecipientView(await insertRecipient(tx.db, orgId, id, input))
    }),
})
