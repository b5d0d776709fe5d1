import { z, Timestamp, Uuid, isoTimestamp } from '../../src/index.js'
import type { DocumentsTable, FieldsTable, RecipientsTable, TemplatesTable } from './tables.js'

export const RoleSchema = z.enum(['SIGNER', 'VIEWER', 'APPROVER'])
export const FieldTypeSchema = z.enum(['SIGNATURE', 'INITIALS', 'DATE', 'TEXT'])
export const StatusSchema = z.enum(['DRAFT', 'PENDING', 'COMPLETED', 'DECLINED'])

/** Strict where it is nested too (documents.create's `recipients`): a misspelt field is refused, not ignored. */
export const RecipientInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(254),
  role: RoleSchema.default('SIGNER'),
})

/** JSON numbers only, as the OpenAPI document says: `true`, `""` or `[1]` are refused, never coerced. */
export const FieldInput = z.object({
  type: FieldTypeSchema,
  page: z.number().int().min(1),
  x: z.number().min(0).max(10_000),
  y: z.number().min(0).max(10_000),
  width: z.number().positive().max(10_000),
  height: z.number().positive().max(10_000),
  recipientId: z.uuid(),
})

export const RecipientSchema = z
  .object({
    id: Uuid,
    object: z.literal('recipient'),
    name: z.string(),
    email: z.string(),
    role: RoleSchema,
    status: z.enum(['PENDING', 'SIGNED', 'DECLINED']),
    signed_at: Timestamp.nullable(),
    signing_url: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: 'In the answers to send and generate only: the link where this recipient signs. Only a hash of it is kept, so later reads omit it.' }),
  })
  .openapi('Recipient')

export const FieldSchema = z
  .object({
    id: Uuid,
    object: z.literal('field'),
    type: FieldTypeSchema,
    page: z.number().int(),
    x: z.number(),
    y: z.number(),
    width: z.number(),
    height: z.number(),
    recipientId: Uuid,
  })
  .openapi('Field')

export const DocumentSchema = z
  .object({
    id: Uuid,
    object: z.literal('document'),
    title: z.string(),
    status: StatusSchema,
    file_name: z.string(),
    page_count: z.number().int(),
    recipients: z.array(RecipientSchema),
    fields: z.array(FieldSchema),
    template_id: Uuid.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
    sent_at: Timestamp.nullable(),
    completed_at: Timestamp.nullable(),
  })
  .openapi('Document')

/** A document in a list: recipients and fields are left to `GET /documents/{id}`. */
export const DocumentSummarySchema = DocumentSchema.omit({ recipients: true, fields: true }).openapi('DocumentSummary')

export const RecipientSignedEvent = z.object({
  document_id: Uuid,
  recipient: z.object({
    id: Uuid,
    name: z.string(),
    email: z.string(),
    role: RoleSchema,
    signed_at: Timestamp,
    consented_at: Timestamp.openapi({ description: 'When the signer agreed to sign electronically (the signing page asks before it accepts a signature).' }),
  }),
})

export const TemplateSchema = z
  .object({
    id: Uuid,
    object: z.literal('template'),
    title: z.string(),
    file_name: z.string(),
    page_count: z.number().int(),
    recipients: z.array(z.object({ name: z.string(), email: z.string(), role: RoleSchema, fields: z.array(FieldInput.omit({ recipientId: true })) })),
    created_at: Timestamp,
  })
  .openapi('Template')

export const DocumentIdParams = z.object({ id: z.uuid() })
export const TemplateIdParams = z.object({ id: z.uuid() })

export function toRecipientView(r: RecipientsTable, signingUrl?: string | null): z.infer<typeof RecipientSchema> {
  return {
    id: r.id,
    object: 'recipient',
    name: r.name,
    email: r.email,
    role: r.role,
    status: r.status,
    signed_at: isoTimestamp(r.signed_at),
    ...(signingUrl !== undefined ? { signing_url: signingUrl } : {}),
  }
}

export function toFieldView(f: FieldsTable): z.infer<typeof FieldSchema> {
  return { id: f.id, object: 'field', type: f.type, page: f.page, x: f.x, y: f.y, width: f.width, height: f.height, recipientId: f.recipient_id }
}

type DocumentColumns = Omit<DocumentsTable, 'org_id' | 'file' | 'completed_file'>

export function toDocumentSummary(d: DocumentColumns): z.infer<typeof DocumentSummarySchema> {
  return {
    id: d.id,
    object: 'document',
    title: d.title,
    status: d.status,
    file_name: d.file_name,
    page_count: d.page_count,
    template_id: d.template_id,
    created_at: isoTimestamp(d.created_at)!,
    updated_at: isoTimestamp(d.updated_at)!,
    sent_at: isoTimestamp(d.sent_at),
    completed_at: isoTimestamp(d.completed_at),
  }
}

export function toDocumentView(
  d: DocumentColumns,
  recipients: RecipientsTable[],
  fields: FieldsTable[],
  signingUrls: Map<string, string> = new Map(),
): z.infer<typeof DocumentSchema> {
  return {
    ...toDocumentSummary(d),
    recipients: recipients.map((r) => toRecipientView(r, signingUrls.size ? (signingUrls.get(r.id) ?? null) : undefined)),
    fields: fields.map(toFieldView),
  }
}

export function toTemplateView(t: Omit<TemplatesTable, 'org_id' | 'file'>): z.infer<typeof TemplateSchema> {
  return { id: t.id, object: 'template', title: t.title, file_name: t.file_name, page_count: t.page_count, recipients: JSON.parse(t.slots), created_at: isoTimestamp(t.created_at)! }
}
