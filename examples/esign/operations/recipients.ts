import { defineOperation, orgIdOf, z, ApiError } from '../../../src/index.js'
import { insertField, insertRecipient, loadDocument, newToken, hashToken, requireDraft } from '../documents.js'
import { DocumentIdParams, FieldInput, FieldSchema, RecipientInput, RecipientSchema, toFieldView, toRecipientView } from '../schemas.js'
import { esignDb } from '../tables.js'

const TAG = 'Documents'

export const listRecipients = defineOperation({
  id: 'recipients.list',
  method: 'get',
  path: '/documents/{id}/recipients',
  tags: [TAG],
  summary: 'List recipients of a document',
  scope: 'read',
  params: DocumentIdParams,
  output: z.object({ data: z.array(RecipientSchema) }),
  handler: async (input, ctx) => ({ data: (await loadDocument(ctx.db, orgIdOf(ctx.principal), input.id)).recipients.map((r) => toRecipientView(r)) }),
})

export const addRecipient = defineOperation({
  id: 'recipients.create',
  method: 'post',
  path: '/documents/{id}/recipients',
  tags: [TAG],
  summary: 'Add a recipient to a draft',
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

export const listFields = defineOperation({
  id: 'fields.list',
  method: 'get',
  path: '/documents/{id}/fields',
  tags: [TAG],
  summary: 'List fields of a document',
  scope: 'read',
  params: DocumentIdParams,
  output: z.object({ data: z.array(FieldSchema) }),
  handler: async (input, ctx) => ({ data: (await loadDocument(ctx.db, orgIdOf(ctx.principal), input.id)).fields.map(toFieldView) }),
})

export const addField = defineOperation({
  id: 'fields.create',
  method: 'post',
  path: '/documents/{id}/fields',
  tags: [TAG],
  summary: 'Place a field for a recipient',
  description: 'Coordinates are PDF points from the bottom-left corner of the page; `page` starts at 1 and must exist in the PDF.',
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

export const createEmbedToken = defineOperation({
  id: 'recipients.embed_token',
  method: 'post',
  path: '/documents/{id}/recipients/{rid}/embed-token',
  tags: [TAG],
  summary: 'Create a token for signing inside your product',
  description: 'A fresh signing link for this recipient of a PENDING document, to open in an iframe of your product. Earlier links stop working.',
  scope: 'actions',
  params: z.object({ id: z.uuid(), rid: z.uuid() }),
  output: z.object({ token: z.string(), url: z.string(), recipient: RecipientSchema }),
  handler: async (input, ctx) =>
    ctx.transaction(async (tx) => {
      const loaded = await loadDocument(tx.db, orgIdOf(ctx.principal), input.id)
      const recipient = loaded.recipients.find((r) => r.id === input.rid)
      if (!recipient) throw new ApiError('not_found', 'Recipient not found')
      if (loaded.doc.status !== 'PENDING') throw new ApiError('validation_error', 'Only a PENDING document can be signed', { fields: { status: `is ${loaded.doc.status}, not PENDING` } })
      const token = newToken()
      await esignDb(tx.db).updateTable('esign_recipients').set({ token_hash: hashToken(token) }).where('id', '=', recipient.id).execute()
      await tx.audit({ action: 'recipient.embed_token_created', targetType: 'document', targetId: input.id, details: { recipient: recipient.email } })
      const url = `${ctx.publicUrl}/sign/${token}?embed=1`
      return { token, url, recipient: toRecipientView(recipient, url) }
    }),
})
