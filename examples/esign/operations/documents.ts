import { beforeCursor, defineOperation, decodeCursor, FileResult, orgIdOf, page, PaginationQuery, toPage, z, ApiError, type UploadedFile } from '../../../src/index.js'
import { createDocument, loadDocument, now, requireDraft, sendDocument, view } from '../documents.js'
import { MAX_FILE_BYTES } from '../pdf.js'
import { DocumentIdParams, DocumentSchema, RecipientInput, StatusSchema, toDocumentView } from '../schemas.js'
import { esignDb } from '../tables.js'

const TAG = 'Documents'
const UploadedFileSchema = z
  .custom<UploadedFile>((v) => typeof v === 'object' && v !== null && (v as UploadedFile).bytes instanceof Uint8Array, { message: 'must be a file upload' })
  .openapi({ type: 'string', format: 'binary', description: 'The PDF (multipart/form-data).' })

export const listDocuments = defineOperation({
  id: 'documents.list',
  method: 'get',
  path: '/documents',
  tags: [TAG],
  summary: 'List documents',
  scope: 'read',
  query: PaginationQuery.extend({ status: StatusSchema.optional() }),
  output: page(DocumentSchema.omit({ recipients: true, fields: true })),
  handler: async (input, ctx) => {
    let query = esignDb(ctx.db)
      .selectFrom('esign_documents')
      .select(['id', 'org_id', 'title', 'status', 'file_name', 'page_count', 'template_id', 'created_at', 'updated_at', 'sent_at', 'completed_at'])
      .where('org_id', '=', orgIdOf(ctx.principal))
    if (input.status) query = query.where('status', '=', input.status)
    const cursor = decodeCursor(input.cursor)
    if (cursor) query = query.where(beforeCursor(cursor))
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit + 1).execute()
    return toPage(rows, input.limit, (row) => {
      const { recipients: _r, fields: _f, ...rest } = toDocumentView(row, [], [])
      return rest
    })
  },
})

export const createDocumentOp = defineOperation({
  id: 'documents.create',
  method: 'post',
  path: '/documents',
  tags: [TAG],
  summary: 'Upload a PDF as a new draft document',
  description:
    'Send `multipart/form-data` (`file=@contract.pdf`, `title`, `recipients[0][name]`, `recipients[0][email]`, `recipients[0][role]`) ' +
    'or JSON `{title, file_base64, recipients?}`. The file must be a real PDF of at most 10 MB.',
  scope: 'draft',
  bodyTypes: ['multipart', 'json'],
  // A 10 MB PDF is about 13.4 MB in base64.
  maxBodyBytes: Math.ceil((MAX_FILE_BYTES * 4) / 3) + 512 * 1024,
  body: z.object({
    title: z.string().trim().min(1).max(300),
    file: UploadedFileSchema.optional(),
    file_base64: z.string().optional().openapi({ description: 'The PDF, base64-encoded (JSON requests).' }),
    recipients: z.array(RecipientInput).max(50).optional(),
  }),
  output: DocumentSchema,
  errors: ['payload_too_large'],
  handler: async (input, ctx) => {
    let bytes: Uint8Array
    let fileName = `${input.title.slice(0, 80)}.pdf`
    if (input.file && input.file_base64 === undefined) {
      bytes = input.file.bytes
      fileName = input.file.filename || fileName
    } else if (input.file_base64 !== undefined && !input.file) {
      if ((input.file_base64.length * 3) / 4 > MAX_FILE_BYTES + 3) throw new ApiError('payload_too_large', 'file_base64 is over 10 MB')
      bytes = Buffer.from(input.file_base64, 'base64')
    } else {
      throw new ApiError('validation_error', 'file is required: upload it as file, or send file_base64', { fields: { file: 'give exactly one of file or file_base64' } })
    }
    const loaded = await ctx.transaction((tx) =>
      createDocument(tx, orgIdOf(ctx.principal), { title: input.title, fileName, bytes, recipients: input.recipients ?? [] }),
    )
    return view(loaded)
  },
})

export const getDocument = defineOperation({
  id: 'documents.get',
  method: 'get',
  path: '/documents/{id}',
  tags: [TAG],
  summary: 'Get a document with its recipients and fields',
  scope: 'read',
  params: DocumentIdParams,
  output: DocumentSchema,
  handler: async (input, ctx) => view(await loadDocument(ctx.db, orgIdOf(ctx.principal), input.id)),
})

export const downloadDocument = defineOperation({
  id: 'documents.file',
  method: 'get',
  path: '/documents/{id}/file',
  tags: [TAG],
  summary: 'Download the PDF',
  description: 'The uploaded PDF; once the document is COMPLETED, the PDF with every signature stamped in.',
  scope: 'read',
  params: DocumentIdParams,
  output: z.unknown(),
  fileOutput: 'application/pdf',
  handler: async (input, ctx) => {
    const row = await esignDb(ctx.db)
      .selectFrom('esign_documents')
      .select(['file', 'completed_file', 'file_name', 'status'])
      .where('id', '=', input.id)
      .where('org_id', '=', orgIdOf(ctx.principal))
      .executeTakeFirst()
    if (!row) throw new ApiError('not_found', 'Document not found')
    const name = row.file_name.replace(/\.pdf$/i, '')
    return row.status === 'COMPLETED' && row.completed_file
      ? new FileResult(row.completed_file, 'application/pdf', `${name} (signed).pdf`)
      : new FileResult(row.file, 'application/pdf', `${name}.pdf`)
  },
})

export const deleteDocument = defineOperation({
  id: 'documents.delete',
  method: 'delete',
  path: '/documents/{id}',
  tags: [TAG],
  summary: 'Delete a document',
  description: 'Deletes the document, its recipients, fields and signing links.',
  scope: 'actions',
  destructive: true,
  params: DocumentIdParams,
  output: DocumentSchema,
  handler: async (input, ctx) =>
    ctx.transaction(async (tx) => {
      const loaded = await loadDocument(tx.db, orgIdOf(ctx.principal), input.id)
      await esignDb(tx.db).deleteFrom('esign_documents').where('id', '=', input.id).where('org_id', '=', orgIdOf(ctx.principal)).execute()
      const gone = view(loaded)
      await tx.emit('document.deleted', gone)
      await tx.audit({ action: 'document.deleted', targetType: 'document', targetId: input.id })
      return gone
    }),
})

export const sendDocumentOp = defineOperation({
  id: 'documents.send',
  method: 'post',
  path: '/documents/{id}/send',
  tags: [TAG],
  summary: 'Send a document for signature',
  description:
    'DRAFT → PENDING. Every SIGNER needs a SIGNATURE field. The answer carries each recipient\'s `signing_url` ' +
    '(no e-mail is sent in development: the links are also written to the server log).',
  scope: 'actions',
  limit: 'send',
  params: DocumentIdParams,
  output: DocumentSchema,
  status: 200,
  errors: ['conflict'],
  handler: async (input, ctx) => {
    const { loaded, links } = await ctx.transaction((tx) => sendDocument(tx, orgIdOf(ctx.principal), input.id, ctx.publicUrl))
    for (const r of loaded.recipients) ctx.log.info({ document_id: input.id, recipient: r.email, signing_url: links.get(r.id) }, 'signing link')
    return view(loaded, links)
  },
})

export const duplicateDocument = defineOperation({
  id: 'documents.duplicate',
  method: 'post',
  path: '/documents/{id}/duplicate',
  tags: [TAG],
  summary: 'Duplicate a document as a new draft',
  description: 'Copies the original PDF, recipients and fields into a new DRAFT.',
  scope: 'draft',
  params: DocumentIdParams,
  output: DocumentSchema,
  handler: async (input, ctx) =>
    ctx.transaction(async (tx) => {
      const orgId = orgIdOf(ctx.principal)
      const source = await loadDocument(tx.db, orgId, input.id)
      const file = await esignDb(tx.db).selectFrom('esign_documents').select('file').where('id', '=', input.id).executeTakeFirstOrThrow()
      const copy = await createDocument(tx, orgId, {
        title: `${source.doc.title} (copy)`,
        fileName: source.doc.file_name,
        bytes: file.file,
        recipients: source.recipients.map((r) => ({ name: r.name, email: r.email, role: r.role })),
      })
      const idMap = new Map(source.recipients.map((r, i) => [r.id, copy.recipients[i]!.id]))
      const edb = esignDb(tx.db)
      for (const f of source.fields) {
        await edb.insertInto('esign_fields').values({ ...f, id: crypto.randomUUID(), document_id: copy.doc.id, recipient_id: idMap.get(f.recipient_id)!, created_at: now() }).execute()
      }
      return view(await loadDocument(tx.db, orgId, copy.doc.id))
    }),
})

export { requireDraft }
