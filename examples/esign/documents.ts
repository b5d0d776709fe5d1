import { randomUUID } from 'node:crypto'
import { ApiError, notFound, type AnyDb, type OperationContext, type TransactionScope } from '../../src/index.js'
import { inspectPdf } from './pdf.js'
import { toDocumentView } from './schemas.js'
import { esignDb, type DocumentsTable, type FieldsTable, type RecipientRole, type RecipientsTable } from './tables.js'
import { hashToken, newToken, now } from './tokens.js'

/** Every column but the file bytes, which only the download and the stamping need. */
const documentColumns = ['id', 'org_id', 'title', 'status', 'file_name', 'page_count', 'template_id', 'created_at', 'updated_at', 'sent_at', 'completed_at'] as const
export type DocumentRow = Omit<DocumentsTable, 'file' | 'completed_file'>
export type NewRecipient = { name: string; email: string; role: RecipientRole }
/** A field as a template or a copied document carries it: placed, but for a recipient not yet created. */
export type PlacedField = Pick<FieldsTable, 'type' | 'page' | 'x' | 'y' | 'width' | 'height'>

export interface LoadedDocument {
  doc: DocumentRow
  recipients: RecipientsTable[]
  fields: FieldsTable[]
}

/** A document of this organisation with its recipients and fields; another organisation's is 404. */
export async function loadDocument(db: AnyDb, orgId: string, id: string): Promise<LoadedDocument> {
  const edb = esignDb(db)
  const doc = await edb.selectFrom('esign_documents').select(documentColumns).where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst()
  if (!doc) throw notFound('Document')
  const [recipients, fields] = await Promise.all([
    edb.selectFrom('esign_recipients').selectAll().where('document_id', '=', id).where('org_id', '=', orgId).orderBy('position').execute(),
    edb.selectFrom('esign_fields').selectAll().where('document_id', '=', id).where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute(),
  ])
  return { doc, recipients, fields }
}

/** The uploaded PDF of a document of this organisation (and the stamped one, once completed). */
export async function loadFile(db: AnyDb, orgId: string, id: string) {
  const row = await esignDb(db)
    .selectFrom('esign_documents')
    .select(['file', 'completed_file', 'file_name', 'status'])
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .executeTakeFirst()
  if (!row) throw notFound('Document')
  return row
}

export const view = (loaded: LoadedDocument, signingUrls?: Map<string, string>) => toDocumentView(loaded.doc, loaded.recipients, loaded.fields, signingUrls)

export function requireDraft(doc: DocumentRow): void {
  if (doc.status !== 'DRAFT') throw new ApiError('validation_error', `The document is ${doc.status}; only a DRAFT can be changed`, { fields: { status: `is ${doc.status}, not DRAFT` } })
}

export async function insertRecipient(db: AnyDb, orgId: string, documentId: string, input: NewRecipient): Promise<RecipientsTable> {
  const edb = esignDb(db)
  const count = await edb.selectFrom('esign_recipients').select((eb) => eb.fn.countAll<number>().as('n')).where('document_id', '=', documentId).where('org_id', '=', orgId).executeTakeFirstOrThrow()
  const row: RecipientsTable = {
    id: randomUUID(),
    org_id: orgId,
    document_id: documentId,
    name: input.name,
    email: input.email.toLowerCase(),
    role: input.role,
    position: Number(count.n),
    status: 'PENDING',
    token_hash: null,
    signature_name: null,
    signed_at: null,
    created_at: now(),
  }
  await edb.insertInto('esign_recipients').values(row).execute()
  return row
}

type NewField = Omit<FieldsTable, 'id' | 'org_id' | 'document_id' | 'created_at'>

/** Places a field; its page must exist in the PDF and its recipient must be on this document. */
export async function insertField(db: AnyDb, orgId: string, loaded: LoadedDocument, input: NewField): Promise<FieldsTable> {
  const edb = esignDb(db)
  // A recipient id from another organisation is 404 like any other foreign id; one of this
  // organisation's other documents is a mistake in the body, so a validation error names it.
  const recipient = await edb.selectFrom('esign_recipients').select(['document_id']).where('id', '=', input.recipient_id).where('org_id', '=', orgId).executeTakeFirst()
  if (!recipient) throw notFound('Recipient')
  const fields: Record<string, string> = {}
  if (input.page > loaded.doc.page_count) fields.page = `must be between 1 and ${loaded.doc.page_count}, the pages of the PDF`
  if (recipient.document_id !== loaded.doc.id) fields.recipientId = 'is a recipient of another document'
  const first = Object.entries(fields)[0]
  if (first) throw new ApiError('validation_error', `${first[0]} ${first[1]}`, { fields })
  const row: FieldsTable = { id: randomUUID(), org_id: orgId, document_id: loaded.doc.id, created_at: now(), ...input }
  await edb.insertInto('esign_fields').values(row).execute()
  return row
}

export interface NewDocument {
  title: string
  fileName: string
  bytes: Uint8Array
  /** From `inspectPdf` (an upload, checked before the transaction opens) or the checked source it is copied from. */
  pageCount: number
  recipients: (NewRecipient & { fields?: PlacedField[] })[]
  templateId?: string | null
}

/**
 * Checks an uploaded file on the PDF worker, before any transaction opens: a refused upload
 * leaves no row behind, and a slow parse holds no database connection.
 */
export async function checkedUpload(bytes: Uint8Array, field: string): Promise<{ bytes: Uint8Array; pageCount: number }> {
  return { bytes, pageCount: await inspectPdf(bytes, field) }
}

export async function createDocument(tx: TransactionScope, orgId: string, input: NewDocument): Promise<LoadedDocument> {
  const pageCount = input.pageCount
  const at = now()
  const doc: DocumentsTable = {
    id: randomUUID(),
    org_id: orgId,
    title: input.title,
    status: 'DRAFT',
    file_name: input.fileName,
    file: input.bytes,
    page_count: pageCount,
    completed_file: null,
    template_id: input.templateId ?? null,
    created_at: at,
    updated_at: at,
    sent_at: null,
    completed_at: null,
  }
  const edb = esignDb(tx.db)
  await edb.insertInto('esign_documents').values(doc).execute()
  for (const { fields = [], ...r } of input.recipients) {
    const recipient = await insertRecipient(tx.db, orgId, doc.id, r)
    for (const f of fields) {
      await edb.insertInto('esign_fields').values({ id: randomUUID(), org_id: orgId, document_id: doc.id, recipient_id: recipient.id, created_at: now(), ...f }).execute()
    }
  }
  // The event carries the document as created, fields included when they came with it.
  const loaded = await loadDocument(tx.db, orgId, doc.id)
  await tx.emit('document.created', view(loaded))
  await tx.audit({ action: 'document.created', targetType: 'document', targetId: doc.id, details: { title: doc.title } })
  return loaded
}

/** Why a draft cannot be sent yet, keyed by the field to fix; empty when it is ready. */
export function sendProblems(loaded: LoadedDocument): Record<string, string> {
  const problems: Record<string, string> = {}
  if (!loaded.recipients.some((r) => r.role === 'SIGNER')) problems.recipients = 'need at least one SIGNER'
  loaded.recipients.forEach((r, i) => {
    if (r.role === 'SIGNER' && !loaded.fields.some((f) => f.recipient_id === r.id && f.type === 'SIGNATURE')) {
      problems[`recipients[${i}]`] = `SIGNER ${r.email} has no SIGNATURE field`
    }
  })
  return problems
}

export interface SentDocument {
  loaded: LoadedDocument
  /** recipient id → signing URL; the tokens in them exist nowhere else once the answer is sent. */
  links: Map<string, string>
}

/** DRAFT → PENDING. Every SIGNER needs a SIGNATURE field; each recipient gets a signing link. */
export async function sendDocument(tx: TransactionScope, orgId: string, id: string, publicUrl: string): Promise<SentDocument> {
  const loaded = await loadDocument(tx.db, orgId, id)
  requireDraft(loaded.doc)
  const problems = sendProblems(loaded)
  const first = Object.entries(problems)[0]
  if (first) throw new ApiError('validation_error', `The document is not ready to send: ${first[0]} ${first[1]}`, { fields: problems })
  const edb = esignDb(tx.db)
  const at = now()
  // The status guard makes the losing one of two concurrent sends a conflict, not a second set of links.
  const sent = await edb.updateTable('esign_documents').set({ status: 'PENDING', sent_at: at, updated_at: at }).where('id', '=', id).where('org_id', '=', orgId).where('status', '=', 'DRAFT').executeTakeFirst()
  if (Number(sent.numUpdatedRows) === 0) throw new ApiError('conflict', 'The document was sent by another request')
  const links = new Map<string, string>()
  for (const r of loaded.recipients) {
    const token = newToken()
    await edb.updateTable('esign_recipients').set({ token_hash: hashToken(token) }).where('id', '=', r.id).where('org_id', '=', orgId).execute()
    links.set(r.id, `${publicUrl}/sign/${token}`)
  }
  const after = await loadDocument(tx.db, orgId, id)
  await tx.emit('document.sent', view(after))
  await tx.audit({ action: 'document.sent', targetType: 'document', targetId: id })
  return { loaded: after, links }
}

/**
 * No e-mail leaves this example: a link is handed over in the API answer that issued it (or as the
 * redirect of a direct link). The log says a link went out and to whom, never the link: it is the
 * recipient's only credential, and whoever reads logs must not be able to sign in their place.
 */
export function logSigningLinks(log: OperationContext['log'], { loaded, links }: SentDocument): void {
  for (const r of loaded.recipients) {
    if (!links.has(r.id)) continue
    log.info({ document_id: loaded.doc.id, recipient_id: r.id, recipient: r.email, role: r.role }, `signing link issued for ${r.email}`)
  }
}
