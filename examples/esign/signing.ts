import { ApiError, isoTimestamp, type AnyDb, type TransactionScope } from '../../src/index.js'
import { loadDocument, view, type LoadedDocument } from './documents.js'
import { stampSignatures } from './pdf.js'
import { esignDb, type RecipientsTable } from './tables.js'
import { hashToken, now } from './tokens.js'

export interface SigningTarget {
  recipient: RecipientsTable
  loaded: LoadedDocument
  /** The sending organisation's name, as the signing page introduces it. */
  orgName: string
}

/** What a signer agrees to by ticking the signing page's box; the audit log keeps it with the signature. */
export const CONSENT = 'I agree to sign this document electronically and that my electronic signature is as binding as a handwritten one.'

/** What the recipient is asked to do, in the words of the page and the e-mail. */
export const askedTo = (role: RecipientsTable['role']) => ({ SIGNER: 'to sign', APPROVER: 'to approve', VIEWER: 'to read' })[role]

/** An organisation's name by id; one the recipient can no longer be told about is "Someone". */
export const organisationName = async (db: AnyDb, orgId: string): Promise<string> =>
  ((await db.selectFrom('organizations').select('name').where('id', '=', orgId).executeTakeFirst()) as { name: string } | undefined)?.name ?? 'Someone'

/** The recipient a signing token belongs to, and their document; the token is the whole credential. */
export async function findByToken(db: AnyDb, token: string): Promise<SigningTarget | undefined> {
  if (token.length < 16 || token.length > 64) return undefined
  const recipient = await esignDb(db).selectFrom('esign_recipients').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst()
  if (!recipient) return undefined
  const [loaded, orgName] = await Promise.all([loadDocument(db, recipient.org_id, recipient.document_id), organisationName(db, recipient.org_id)])
  return { recipient, loaded, orgName }
}

/** Who still has to sign: every SIGNER and APPROVER; a VIEWER only receives a copy. */
export const mustSign = (r: RecipientsTable) => r.role !== 'VIEWER'

/**
 * A recipient signs or declines. The last signature stamps every field into the PDF and completes
 * the document; a decline ends it. Throws `conflict` when the answer came too late (the document
 * is no longer PENDING, the recipient already answered, or their link was replaced meanwhile).
 */
export async function recordAnswer(tx: TransactionScope, target: SigningTarget, action: 'sign' | 'decline', typedName: string): Promise<LoadedDocument> {
  const edb = esignDb(tx.db)
  const { recipient } = target
  const orgId = recipient.org_id
  const docId = recipient.document_id
  const at = now()
  // Writing the document row first serialises the answers to one document: of two signers
  // answering at once, the second waits for the first and then sees its signature, so the last
  // one always completes the document.
  const open = await edb.updateTable('esign_documents').set({ updated_at: at }).where('id', '=', docId).where('org_id', '=', orgId).where('status', '=', 'PENDING').executeTakeFirst()
  if (Number(open.numUpdatedRows) === 0) throw new ApiError('conflict', 'The document is no longer waiting for signatures')
  const answered = await edb
    .updateTable('esign_recipients')
    .set(action === 'sign' ? { status: 'SIGNED', signature_name: typedName, signed_at: at } : { status: 'DECLINED', signed_at: at })
    .where('id', '=', recipient.id)
    .where('org_id', '=', orgId)
    .where('status', '=', 'PENDING')
    .where('token_hash', '=', recipient.token_hash!)
    .executeTakeFirst()
  if (Number(answered.numUpdatedRows) === 0) throw new ApiError('conflict', 'This recipient has already answered')

  const details = { recipient_id: recipient.id, recipient: recipient.email }
  // The signer acts through their link, not as the operator: the audit log names them.
  const actor = { type: 'recipient', id: recipient.id, label: recipient.email }
  if (action === 'decline') {
    await edb.updateTable('esign_documents').set({ status: 'DECLINED', updated_at: at }).where('id', '=', docId).where('org_id', '=', orgId).execute()
    await tx.audit({ action: 'recipient.declined', targetType: 'document', targetId: docId, details, actor })
    return loadDocument(tx.db, orgId, docId)
  }

  let after = await loadDocument(tx.db, orgId, docId)
  const me = after.recipients.find((r) => r.id === recipient.id)!
  // The page refuses a signature without the consent box ticked, so a signature's time is its consent's.
  const consentedAt = isoTimestamp(at)
  await tx.emit('recipient.signed', { document_id: docId, recipient: { id: me.id, name: me.name, email: me.email, role: me.role, signed_at: consentedAt, consented_at: consentedAt } })
  await tx.audit({ action: 'recipient.signed', targetType: 'document', targetId: docId, details: { ...details, consent: CONSENT, consented_at: consentedAt }, actor })
  if (after.recipients.some((r) => mustSign(r) && r.status !== 'SIGNED')) return after

  const original = await edb.selectFrom('esign_documents').select('file').where('id', '=', docId).where('org_id', '=', orgId).executeTakeFirstOrThrow()
  const completed = await stampSignatures(original.file, after.recipients, after.fields, new Date(at))
  await edb.updateTable('esign_documents').set({ status: 'COMPLETED', completed_file: completed, completed_at: at, updated_at: at }).where('id', '=', docId).where('org_id', '=', orgId).execute()
  after = await loadDocument(tx.db, orgId, docId)
  await tx.emit('document.completed', view(after))
  await tx.audit({ action: 'document.completed', targetType: 'document', targetId: docId, actor })
  return after
}
