import { defineOperation, orgIdOf, z } from '../../../src/index.js'
import { loadDocument } from '../documents.js'
import { DocumentIdParams, RecipientSchema, toRecipientView } from '../schemas.js'

export const listRecipients = defineOperation({
  id: 'recipients.list',
  method: 'get',
  path: '/documents/{id}/recipients',
  tags: ['Documents'],
  summary: 'List the recipients of a document',
  description: 'In signing order, with each one\'s status (PENDING, SIGNED, DECLINED).',
  scope: 'read',
  params: DocumentIdParams,
  output: z.object({ data: z.array(RecipientSchema) }),
  handler: async (input, ctx) => ({ data: (await loadDocument(ctx.db, orgIdOf(ctx.principal), input.id)).recipients.map((r) => toRecipientView(r)) }),
})
