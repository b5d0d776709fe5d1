import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { ApiError, notFound, type AnyDb, type TransactionScope } from '../../src/index.js'
import { inspectPdf, stampSignatures } from './pdf.js'
import { toDocumentView } from './schemas.js'
import { esignDb, type DocumentsTable, type FieldsTable, type RecipientRole, type RecipientsTable } from './tables.js'

export const now = () => new Date().toISOString()
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')
export const newToken = () => randomBytes(24).toString('base64url')

const documentColumns = ['id', 'org_id', 'title', 'status', 'file_name', 'page_count', 'template_id', 'created_at', 'updated_at', 'sent_at', 'completed_at'] as const
export type DocumentRow = Omit<DocumentsTable, 'file' | 'completed_file'>

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

export const view = (loaded: LoadedDocument, signingUrls?: Map<string, string>) => toDocumentView(loaded.doc, loaded.recipients, loaded.fields, signingUrls)

export function requireDraft(doc: DocumentRow): void {
  if (doc.status !== 'DRAFT') throw new ApiError('validation_error', `The document is ${doc.status}; only a DRAFT can be changed`, { fields: { status: `is ${doc.status}, not DRAFT` } })
}

export async function insertRecipient(db: AnyDb, orgId: string, documentId: string, input: { name: string; email: string; role: RecipientRole }): Promise<RecipientsTable> {
  const edb = esignDb(db)
  const count = await edb.selectFrom('esign_recipients').select((eb) => eb.fn.countAll<number>().as('n')).where('document_id', '=', documentId).executeTakeFirstOrThrow()
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

export async function insertField(db: AnyDb, orgId: string, loaded: LoadedDocument, input: Omit<FieldsTable, 'id' | 'org_id' | 'document_id' | 'created_at'>): Promise<FieldsTable> {
  const fields: Record<string, string> = {}
  if (input.page > loaded.doc.page_count) fields.page = `must be between 1 and ${loaded.doc.page_count}, the document's pages`
  if (!loaded.recipients.some((r) => r.id === input.recipient_id)) fields.recipientId = 'is not a recipient of this document'
  const first = Object.entries(fields)[0]
  if (first) throw new ApiError('validation_error', `${first[0]} ${first[1]}`, { fields })
  const row: FieldsTable = { id: randomUUID(), org_id: orgId, document_id: loaded.doc.id, created_at: now(), ...input }
  await esignDb(db).insertInto('esign_fields').values(row).execute()
  return row
}

export async function createDocument(
  tx: TransactionScope,
  orgId: string,
  input: { title: string; fileName: string; bytes: Uint8Array; recipients: { name: string; email: string; role: RecipientRole }[]; templateId?: string | null },
): Promise<LoadedDocument> {
  const pageCount = await inspectPdf(input.bytes)
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
  await esignDb(tx.db).insertInto('esign_documents').values(doc).execute()
  for (const r of input.recipients) await insertRecipient(tx.db, orgId, doc.id, r)
  const loaded = await loadDocument(tx.db, orgId, doc.id)
  await tx.emit('document.created', view(loaded))
  await tx.audit({ action: 'document.created', targetType: 'document', targetId: doc.id, details: { title: doc.title } })
  return loaded
}

/** DRAFT → PENDING. Every SIGNER needs a SIGNATURE field; each recipient gets a signing link. */
export async function sendDocument(tx: TransactionScope, orgId: string, id: string, publicUrl: string): Promise<{ loaded: LoadedDocument; links: Map<string, string> }> {
  const loaded = await loadDocument(tx.db, orgId, id)
  requireDraft(loaded.doc)
  const fields: Record<string, string> = {}
  const signers = loaded.recipients.filter((r) => r.role === 'SIGNER')
  if (signers.length === 0) fields.recipients = 'need at least one SIGNER'
  loaded.recipients.forEach((r, i) => {
    if (r.role === 'SIGNER' && !loaded.fields.some((f) => f.recipient_id === r.id && f.type === 'SIGNATURE')) {
      fields[`recipients[${i}]`] = `SIGNER ${r.email} has no SIGNATURE field`
    }
  })
  const first = Object.entries(fields)[0]
  if (first) throw new ApiError('validation_error', `The document is not ready to send: ${first[0]} ${first[1]}`, { fields })
  const edb = esignDb(tx.db)
  const links = new Map<string, string>()
  for (const r of loaded.recipients) {
    const token = newToken()
    await edb.updateTable('esign_recipients').set({ token_hash: hashToken(token) }).where('id', '=', r.id).execute()
    links.set(r.id, `${publicUrl}/sign/${token}`)
  }
  const at = now()
  // The status guard makes a concurrent second send a no-op rather than a second set of links.
  const sent = await edb.updateTable('esign_documents').set({ status: 'PENDING', sent_at: at, updated_at: at }).where('id', '=', id).where('org_id', '=', orgId).where('status', '=', 'DRAFT').executeTakeFirst()
  if (Number(sent.numUpdatedRows) === 0) throw new ApiError('conflict', 'The document was sent by another request')
  const after = await loadDocument(tx.db, orgId, id)
  await tx.emit('document.sent', view(after))
  await tx.audit({ action: 'document.sent', targetType: 'document', targetId: id })
  return { loaded: after, links }
}

export interface SigningTarget {
  recipient: RecipientsTable
  loaded: LoadedDocument
}

export async function findByToken(db: AnyDb, token: string): Promise<SigningTarget | undefined> {
  const recipient = await esignDb(db).selectFrom('esign_recipients').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst()
  if (!recipient) return undefined
  return { recipient, loaded: await loadDocument(db, recipient.org_id, recipient.document_id) }
}

/** A recipient signs (or declines); the last signature completes the document and stamps the PDF. */
export async function recordSignature(tx: TransactionScope, target: SigningTarget, action: 'sign' | 'decline', typedName: string): Promise<LoadedDocument> {
  const edb = esignDb(tx.db)
  const { recipient, loaded } = target
  const at = now()
  const changed = await edb
    .updateTable('esign_recipients')
    .set(action === 'sign' ? { status: 'SIGNED', signature_name: typedName, signed_at: at } : { status: 'DECLINED', signed_at: at })
    .where('id', '=', recipient.id)
    .where('status', '=', 'PENDING')
    .executeTakeFirst()
  if (Number(changed.numUpdatedRows) === 0) throw new ApiError('conflict', 'This recipient has already answered')
  let after = await loadDocument(tx.db, recipient.org_id, loaded.doc.id)
  const me = after.recipients.find((r) => r.id === recipient.id)!
  if (action === 'decline') {
    await edb.updateTable('esign_documents').set({ status: 'DECLINED', updated_at: at }).where('id', '=', loaded.doc.id).execute()
    await tx.audit({ action: 'recipient.declined', targetType: 'document', targetId: loaded.doc.id, details: { recipient: me.email } })
    return loadDocument(tx.db, recipient.org_id, loaded.doc.id)
  }
  await tx.emit('recipient.signed', { document_id: loaded.doc.id, recipient: { id: me.id, name: me.name, email: me.email, role: me.role, signed_at: at } })
  const outstanding = after.recipients.filter((r) => r.role !== 'VIEWER' && r.status !== 'SIGNED')
  if (outstanding.length === 0) {
    const original = await edb.selectFrom('esign_documents').select('file').where('id', '=', loaded.doc.id).executeTakeFirstOrThrow()
    const completed = await stampSignatures(original.file, after.recipients, after.fields, new Date(at))
    await edb.updateTable('esign_documents').set({ status: 'COMPLETED', completed_file: completed, completed_at: at, updated_at: at }).where('id', '=', loaded.doc.id).execute()
    after = await loadDocument(tx.db, recipient.org_id, loaded.doc.id)
    await tx.emit('document.completed', view(after))
  }
  await tx.audit({ action: 'recipient.signed', targetType: 'document', targetId: loaded.doc.id, details: { recipient: me.email } })
  return after
}
