import { ApiError, defineOperation, notFound, orgIdOf, Uuid, z } from '../../../src/index.js'
import { loadDocument } from '../documents.js'
import { esignDb } from '../tables.js'
import { hashToken, newToken } from '../tokens.js'

export const createEmbedToken = defineOperation({
  id: 'recipients.embed_token',
  method: 'post',
  path: '/documents/{id}/recipients/{rid}/embed-token',
  tags: ['Documents'],
  summary: 'Create a token for signing inside your product',
  description:
    'A fresh signing link for this recipient of a PENDING document: `url` opens the signing page in an iframe of your product. ' +
    'It replaces the recipient\'s earlier link, which stops working, so it also recovers a lost one.',
  scope: 'actions',
  params: z.object({ id: z.uuid(), rid: z.uuid() }),
  output: z.object({ token: z.string(), url: z.string(), document_id: Uuid, recipient_id: Uuid }),
  errors: ['conflict'],
  secretFields: ['token', 'url'],
  handler: async (input, ctx) =>
    ctx.transaction(async (tx) => {
      const orgId = orgIdOf(ctx.principal)
      const loaded = await loadDocument(tx.db, orgId, input.id)
      const recipient = loaded.recipients.find((r) => r.id === input.rid)
      if (!recipient) throw notFound('Recipient')
      if (loaded.doc.status !== 'PENDING') throw new ApiError('validation_error', 'Only a PENDING document can be signed', { fields: { status: `is ${loaded.doc.status}, not PENDING` } })
      if (recipient.status !== 'PENDING') throw new ApiError('conflict', `The recipient has already answered (${recipient.status})`)
      const token = newToken()
      await esignDb(tx.db).updateTable('esign_recipients').set({ token_hash: hashToken(token) }).where('id', '=', recipient.id).where('org_id', '=', orgId).execute()
      await tx.audit({ action: 'recipient.embed_token_created', targetType: 'document', targetId: input.id, details: { recipient_id: recipient.id } })
      return { token, url: `${ctx.publicUrl}/sign/${token}?embed=1`, document_id: input.id, recipient_id: recipient.id }
    }),
})
