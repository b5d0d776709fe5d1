import { defineOperation, orgIdOf } from '../../../src/index.js'
import { createDocument, loadDocument, loadFile, view } from '../documents.js'
import { DocumentIdParams, DocumentSchema } from '../schemas.js'

export const duplicateDocument = defineOperation({
  id: 'documents.duplicate',
  method: 'post',
  path: '/documents/{id}/duplicate',
  tags: ['Documents'],
  summary: 'Duplicate a document as a new draft',
  description: 'Copies the original (unsigned) PDF, the recipients and their fields into a new DRAFT, whatever the state of the source.',
  scope: 'draft',
  params: DocumentIdParams,
  output: DocumentSchema,
  handler: async (input, ctx) =>
    ctx.transaction(async (tx) => {
      const orgId = orgIdOf(ctx.principal)
      const source = await loadDocument(tx.db, orgId, input.id)
      const { file } = await loadFile(tx.db, orgId, input.id)
      const copy = await createDocument(tx, orgId, {
        title: `${source.doc.title} (copy)`.slice(0, 300),
        fileName: source.doc.file_name,
        bytes: file,
        // Checked when it was uploaded; a copy needs no second parse.
        pageCount: source.doc.page_count,
        recipients: source.recipients.map((r) => ({
          name: r.name,
          email: r.email,
          role: r.role,
          fields: source.fields.filter((f) => f.recipient_id === r.id).map(({ type, page, x, y, width, height }) => ({ type, page, x, y, width, height })),
        })),
      })
      return view(copy)
    }),
})
