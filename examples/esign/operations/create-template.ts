import { randomUUID } from 'node:crypto'
import { defineOperation, orgIdOf, z } from '../../../src/index.js'
import { loadDocument, loadFile } from '../documents.js'
import { TemplateSchema, toTemplateView } from '../schemas.js'
import { esignDb, type TemplatesTable } from '../tables.js'
import type { Slot } from '../templates.js'
import { now } from '../tokens.js'

export const createTemplate = defineOperation({
  id: 'templates.create',
  method: 'post',
  path: '/templates',
  tags: ['Templates'],
  summary: 'Create a template from a document',
  description: "Snapshots a document's original PDF, its recipients (as slots to fill, in order) and their fields. Later changes to the document do not touch the template.",
  scope: 'draft',
  body: z.object({ title: z.string().trim().min(1).max(300), document_id: z.uuid() }),
  output: TemplateSchema,
  handler: async (input, ctx) =>
    ctx.transaction(async (tx) => {
      const orgId = orgIdOf(ctx.principal)
      const source = await loadDocument(tx.db, orgId, input.document_id)
      const { file } = await loadFile(tx.db, orgId, input.document_id)
      const slots: Slot[] = source.recipients.map((r) => ({
        name: r.name,
        email: r.email,
        role: r.role,
        fields: source.fields.filter((f) => f.recipient_id === r.id).map(({ type, page, x, y, width, height }) => ({ type, page, x, y, width, height })),
      }))
      const row: TemplatesTable = {
        id: randomUUID(),
        org_id: orgId,
        title: input.title,
        file_name: source.doc.file_name,
        file,
        page_count: source.doc.page_count,
        slots: JSON.stringify(slots),
        direct_link_hash: null,
        created_at: now(),
      }
      await esignDb(tx.db).insertInto('esign_templates').values(row).execute()
      await tx.audit({ action: 'template.created', targetType: 'template', targetId: row.id, details: { document_id: source.doc.id } })
      return toTemplateView(row)
    }),
})
