import { ApiError, notFound, type AnyDb, type TransactionScope } from '../../src/index.js'
import { createDocument, sendDocument, type PlacedField, type SentDocument } from './documents.js'
import { esignDb, type RecipientRole, type TemplatesTable } from './tables.js'

/** A recipient slot of a template: who signs by default, and the fields they fill. */
export interface Slot {
  name: string
  email: string
  role: RecipientRole
  fields: PlacedField[]
}

export const slotsOf = (template: Pick<TemplatesTable, 'slots'>): Slot[] => JSON.parse(template.slots) as Slot[]

/** A template of this organisation; another organisation's is 404. */
export async function loadTemplate(db: AnyDb, orgId: string, id: string): Promise<TemplatesTable> {
  const row = await esignDb(db).selectFrom('esign_templates').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst()
  if (!row) throw notFound('Template')
  return row
}

/** A new document from a template, with `people` in its recipient slots (in order), then sent. */
export async function generateFromTemplate(
  tx: TransactionScope,
  template: TemplatesTable,
  title: string,
  people: { name: string; email: string }[],
  publicUrl: string,
): Promise<SentDocument> {
  const slots = slotsOf(template)
  if (people.length > slots.length) {
    throw new ApiError('validation_error', `The template has ${slots.length} recipient slots`, { fields: { recipients: `must have at most ${slots.length} entries` } })
  }
  const orgId = template.org_id
  const recipients = slots.map((slot, i) => ({ ...slot, name: people[i]?.name ?? slot.name, email: people[i]?.email ?? slot.email }))
  const created = await createDocument(tx, orgId, { title, fileName: template.file_name, bytes: template.file, pageCount: template.page_count, recipients, templateId: template.id })
  return sendDocument(tx, orgId, created.doc.id, publicUrl)
}
