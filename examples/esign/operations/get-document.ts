import { defineOperation, orgIdOf } from '../../../src/index.js'
import { loadDocument, view } from '../documents.js'
import { DocumentIdParams, DocumentSchema } from '../schemas.js'

export const getDocument = defineOperation({
  id: 'documents.get',
  method: 'get',
  path: '/documents/{id}',
  tags: ['Documents'],
  summary: 'Get a document with its recipients and fields',
  scope: 'read',
  params: DocumentIdParams,
  output: DocumentSchema,
  handler: async (input, ctx) => view(await loadDocument(ctx.db, orgIdOf(ctx.principal), input.id)),
})
