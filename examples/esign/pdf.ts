import { PDFDocument, rgb, StandardFonts, type PDFFont } from 'pdf-lib'
import { ApiError } from '../../src/index.js'
import type { FieldsTable, RecipientsTable } from './tables.js'

export const MAX_FILE_BYTES = 10 * 1024 * 1024

/** A real PDF: the magic bytes and a successful parse, at most 10 MB. Returns its page count. */
export async function inspectPdf(bytes: Uint8Array, field = 'file'): Promise<number> {
  if (bytes.byteLength > MAX_FILE_BYTES) throw new ApiError('payload_too_large', `${field} is over 10 MB`, { fields: { [field]: 'must be at most 10 MB' } })
  if (bytes.byteLength === 0) throw new ApiError('validation_error', `${field} is empty`, { fields: { [field]: 'is empty' } })
  // The magic bytes alone would let any file named .pdf through; the parse alone is slower to refuse junk.
  const magic = Buffer.from(bytes.subarray(0, 5)).toString('latin1')
  if (magic !== '%PDF-') throw new ApiError('validation_error', `${field} is not a PDF`, { fields: { [field]: 'must be a PDF file' } })
  try {
    const pdf = await PDFDocument.load(bytes, { updateMetadata: false })
    const pages = pdf.getPageCount()
    if (pages === 0) throw new Error('no pages')
    return pages
  } catch {
    throw new ApiError('validation_error', `${field} is not a readable PDF`, { fields: { [field]: 'is a damaged, empty or encrypted PDF' } })
  }
}

/**
 * The standard PDF fonts only know Western European characters (WinAnsi). A name beyond them is
 * stamped with accents dropped or `?` in their place; the exact name stays in the PDF's metadata.
 */
function printable(font: PDFFont, text: string): string {
  const fits = (s: string) => {
    try {
      font.encodeText(s)
      return true
    } catch {
      return false
    }
  }
  return [...text]
    .map((ch) => {
      if (fits(ch)) return ch
      const bare = ch.normalize('NFKD').replace(/\p{M}/gu, '')
      return bare && fits(bare) ? bare : '?'
    })
    .join('')
}

const initials = (name: string) => name.split(/\s+/).map((w) => w[0]?.toUpperCase() ?? '').join('')

/** Stamps each signer's typed name (and dates) into their fields; the result is the completed PDF. */
export async function stampSignatures(original: Uint8Array, recipients: RecipientsTable[], fields: FieldsTable[], completedAt: Date): Promise<Uint8Array> {
  const pdf = await PDFDocument.load(original)
  const script = await pdf.embedFont(StandardFonts.TimesRomanItalic)
  const plain = await pdf.embedFont(StandardFonts.Helvetica)
  const byId = new Map(recipients.map((r) => [r.id, r]))
  for (const field of fields) {
    const signer = byId.get(field.recipient_id)
    if (!signer?.signature_name) continue
    const page = pdf.getPage(field.page - 1)
    const text = {
      SIGNATURE: signer.signature_name,
      INITIALS: initials(signer.signature_name),
      DATE: (signer.signed_at ?? completedAt.toISOString()).slice(0, 10),
      TEXT: signer.signature_name,
    }[field.type]
    const font = field.type === 'SIGNATURE' || field.type === 'INITIALS' ? script : plain
    const size = Math.max(6, Math.min(field.height * 0.6, 28))
    page.drawText(printable(font, text), { x: field.x + 2, y: field.y + (field.height - size) / 2, size, font, color: rgb(0.05, 0.1, 0.45) })
    if (field.type === 'SIGNATURE') {
      page.drawLine({ start: { x: field.x, y: field.y }, end: { x: field.x + field.width, y: field.y }, thickness: 0.5, color: rgb(0.3, 0.3, 0.3) })
    }
  }
  const signers = recipients.filter((r) => r.signature_name).map((r) => `${r.signature_name} <${r.email}> at ${r.signed_at}`)
  pdf.setSubject(`Signed by ${signers.join('; ')}`)
  pdf.setModificationDate(completedAt)
  return pdf.save()
}
