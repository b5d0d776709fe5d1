import { defineOperation, orgIdOf } from '../../../src/index.js'
import { insertField, loadDocument, requireDraft } from '../documents.js'
import { DocumentIdParams, FieldInput, FieldSchema, toFieldView } from '../schemas.js'

export const createField = defineOperation({
  id: 'fields.create',
  method: 'post',
  path: '/documents/{id}/fields',
  tags: ['Documents'],
  summary: 'Place a field for a recipient',
  description:
    'Coordinates are PDF points from the bottom-left corner of the page; `page` starts at 1 and must exist in the PDF. ' +
    'When everyone has signed, each field is stamped: SIGNATURE and TEXT with the typed name, INITIALS with its initials, DATE with the day of signing.',
  scope: 'draft',
  params: DocumentIdParams,
  body: FieldInput,
  output: FieldSchema,
  handler: async ({ id, recipientId, ...input }, ctx) =>
    ctx.transaction(async (tx) => {
      const orgId = orgIdOf(ctx.principal)
      const loaded = await loadDocument(tx.db, orgId, id)
      requireDraft(loaded.doc)
      return toFieldView(await insertField(tx.db, orgId, loaded, { ...input, recipient_id: recipientId }))
    }),
})
