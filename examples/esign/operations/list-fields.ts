import { defineOperation, orgIdOf, z } from '../../../src/index.js'
import { loadDocument } from '../documents.js'
import { DocumentIdParams, FieldSchema, toFieldView } from '../schemas.js'

export const listFields = defineOperation({
  id: 'fields.list',
  method: 'get',
  path: '/documents/{id}/fields',
  tags: ['Documents'],
  summary: 'List the fields of a document',
  scope: 'read',
  params: DocumentIdParams,
  output: z.object({ data: z.array(FieldSchema) }),
  handler: async (input, ctx) => ({ data: (await loadDocument(ctx.db, orgIdOf(ctx.principal), input.id)).fields.map(toFieldView) }),
})
