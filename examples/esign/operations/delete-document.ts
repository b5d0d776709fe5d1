import { defineOperation, orgIdOf } from '../../../src/index.js'
import { loadDocument, view } from '../documents.js'
import { DocumentIdParams, DocumentSchema } from '../schemas.js'
import { esignDb } from '../tables.js'

export const deleteDocument = defineOperation({
  id: 'documents.delete',
  method: 'delete',
  path: '/documents/{id}',
  tags: ['Documents'],
  summary: 'Delete a document',
  description: 'Deletes the document with its files, recipients and fields; its signing links stop working at once. Answers the document as it was.',
  scope: 'actions',
  destructive: true,
  params: DocumentIdParams,
  output: DocumentSchema,
  handler: async (input, ctx) =>
    ctx.transaction(async (tx) => {
      const orgId = orgIdOf(ctx.principal)
      const gone = view(await loadDocument(tx.db, orgId, input.id))
      // Recipients and fields go with it (ON DELETE CASCADE), and with them the signing-token hashes.
      await esignDb(tx.db).deleteFrom('esign_documents').where('id', '=', input.id).where('org_id', '=', orgId).execute()
      await tx.emit('document.deleted', gone)
      await tx.audit({ action: 'document.deleted', targetType: 'document', targetId: input.id, details: { title: gone.title } })
      return gone
    }),
})
