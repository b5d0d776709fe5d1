import { randomUUID } from 'node:crypto'
import { ApiError, beforeCursor, decodeCursor, defineOperation, notFound, orgIdOf, page, PaginationQuery, toPage, z, type AnyDb, type TransactionScope } from '../../../src/index.js'
import { createDocument, hashToken, loadDocument, newToken, now, sendDocument, view } from '../documents.js'
import { DocumentSchema, TemplateSchema, toTemplateView } from '../schemas.js'
import { esignDb, type FieldType, type RecipientRole, type TemplatesTable } from '../tables.js'

const TAG = 'Templates'
const TemplateIdParams = z.object({ id: z.uuid() })

export interface Slot {
  name: string
  email: string
  role: RecipientRole
  fields: { type: FieldType; page: number; x: number; y: number; width: number; height: number }[]
}

async function loadTemplate(db: AnyDb, orgId: string, id: string): Promise<TemplatesTable> {
  const row = await esignDb(db).selectFrom('esign_templates').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst()
  if (!row) throw notFound('Template')
  return row
}

/** A new document from a template, with people in its recipient slots (in order), then sent. */
export async function generateFromTemplate(tx: TransactionScope, orgId: string, template: TemplatesTable, title: string, people: { name: string; email: string }[], publicUrl: string) {
  const slots = JSON.parse(template.slots) as Slot[]
  const recipients = slots.map((slot, i) => ({ name: people[i]?.name ?? slot.name, email: people[i]?.email ?? slot.email, role: slot.role }))
  const created = await createDocument(tx, orgId, { title, fileName: template.file_name, bytes: template.file, recipients, templateId: template.id })
  const edb = esignDb(tx.db)
  for (const [i, slot] of slots.entries()) {
    for (const f of slot.fields) {
      await edb.insertInto('esign_fields').values({ id: randomUUID(), org_id: orgId, document_id: created.doc.id, recipient_id: created.recipients[i]!.id, created_at: now(), ...f }).execute()
    }
  }
  return sendDocument(tx, orgId, created.doc.id, publicUrl)
}

export const listTemplates = defineOperation({
  id: 'templates.list',
  method: 'get',
  path: '/templates',
  tags: [TAG],
  summary: 'List templates',
  scope: 'read',
  query: PaginationQuery,
  output: page(TemplateSchema),
  handler: async (input, ctx) => {
    let query = esignDb(ctx.db)
      .selectFrom('esign_templates')
      .select(['id', 'org_id', 'title', 'file_name', 'page_count', 'slots', 'direct_link_hash', 'created_at'])
      .where('org_id', '=', orgIdOf(ctx.principal))
    const cursor = decodeCursor(input.cursor)
    if (cursor) query = query.where(beforeCursor(cursor))
    return toPage(await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit + 1).execute(), input.limit, toTemplateView)
  },
})

export const createTemplate = defineOperation({
  id: 'templates.create',
  method: 'post',
  path: '/templates',
  tags: [TAG],
  summary: 'Create a template from a document',
  description: 'Snapshots the document\'s PDF, recipients (as slots to fill) and their fields.',
  scope: 'draft',
  body: z.object({ title: z.string().trim().min(1).max(300), document_id: z.uuid() }),
  output: TemplateSchema,
  handler: async (input, ctx) =>
    ctx.transaction(async (tx) => {
      const orgId = orgIdOf(ctx.principal)
      const source = await loadDocument(tx.db, orgId, input.document_id)
      const file = await esignDb(tx.db).selectFrom('esign_documents').select('file').where('id', '=', input.document_id).executeTakeFirstOrThrow()
      const slots: Slot[] = source.recipients.map((r) => ({
        name: r.name,
        email: r.email,
        role: r.role,
        fields: source.fields.filter((f) => f.recipient_id === r.id).map(({ type, page, x, y, width, height }) => ({ type, page, x, y, width, height })),
      }))
      const row: TemplatesTable = { id: randomUUID(), org_id: orgId, title: input.title, file_name: source.doc.file_name, file: file.file, page_count: source.doc.page_count, slots: JSON.stringify(slots), direct_link_hash: null, created_at: now() }
      await esignDb(tx.db).insertInto('esign_templates').values(row).execute()
      await tx.audit({ action: 'template.created', targetType: 'template', targetId: row.id })
      return toTemplateView(row)
    }),
})

export const getTemplate = defineOperation({
  id: 'templates.get',
  method: 'get',
  path: '/templates/{id}',
  tags: [TAG],
  summary: 'Get a template',
  scope: 'read',
  params: TemplateIdParams,
  output: TemplateSchema,
  handler: async (input, ctx) => toTemplateView(await loadTemplate(ctx.db, orgIdOf(ctx.principal), input.id)),
})

export const generateDocument = defineOperation({
  id: 'templates.generate',
  method: 'post',
  path: '/templates/{id}/generate',
  tags: [TAG],
  summary: 'Create a document from a template and send it',
  description: 'Fills the template\'s recipient slots in order with `recipients` (or keeps the template\'s own), places its fields and sends.',
  scope: 'actions',
  limit: 'send',
  params: TemplateIdParams,
  body: z.object({
    title: z.string().trim().min(1).max(300).optional(),
    recipients: z.array(z.object({ name: z.string().trim().min(1).max(200), email: z.email() })).max(50).optional(),
  }),
  output: DocumentSchema,
  handler: async (input, ctx) => {
    const orgId = orgIdOf(ctx.principal)
    const { loaded, links } = await ctx.transaction(async (tx) => {
      const template = await loadTemplate(tx.db, orgId, input.id)
      return generateFromTemplate(tx, orgId, template, input.title ?? template.title, input.recipients ?? [], ctx.publicUrl)
    })
    for (const r of loaded.recipients) ctx.log.info({ document_id: loaded.doc.id, recipient: r.email, signing_url: links.get(r.id) }, 'signing link')
    return view(loaded, links)
  },
})

export const createDirectLink = defineOperation({
  id: 'templates.direct_link',
  method: 'post',
  path: '/templates/{id}/direct-link',
  tags: [TAG],
  summary: 'Get a public link that creates and signs a document',
  description: 'Anyone with the link enters their name and e-mail, becomes the first SIGNER of a new document from the template, and signs it. A new link replaces the previous one.',
  scope: 'actions',
  params: TemplateIdParams,
  output: z.object({ url: z.string(), template_id: z.uuid() }),
  secretFields: ['url'],
  handler: async (input, ctx) =>
    ctx.transaction(async (tx) => {
      const orgId = orgIdOf(ctx.principal)
      const template = await loadTemplate(tx.db, orgId, input.id)
      const slots = JSON.parse(template.slots) as Slot[]
      if (slots[0]?.role !== 'SIGNER') throw new ApiError('validation_error', 'The template\'s first recipient must be a SIGNER', { fields: { recipients: 'first slot is not a SIGNER' } })
      const token = newToken()
      await esignDb(tx.db).updateTable('esign_templates').set({ direct_link_hash: hashToken(token) }).where('id', '=', template.id).execute()
      await tx.audit({ action: 'template.direct_link_created', targetType: 'template', targetId: template.id })
      return { url: `${ctx.publicUrl}/d/${token}`, template_id: template.id }
    }),
})

