/**
 * The PDF worker: everything that parses an uploaded PDF runs here, in a worker thread with a
 * heap cap and a time limit (see pdf.ts), never on the server's event loop. It loads only pdf-lib
 * and this folder's budget check, so a worker starts quickly.
 */
import { PDFDocument, PDFPageLeaf, PDFPageTree, PDFRef, rgb, StandardFonts, type PDFFont } from 'pdf-lib'
import { measureStreams, OverBudget, pageObjects } from './pdf-budget.js'
import type { FieldsTable, RecipientsTable } from './tables.js'

export type PdfTask =
  | { kind: 'inspect'; bytes: Uint8Array; maxDecodedBytes: number; maxPages: number }
  | { kind: 'stamp'; original: Uint8Array; recipients: RecipientsTable[]; fields: FieldsTable[]; completedAt: string }

export type InspectResult = { ok: true; pages: number } | { ok: false; problem: 'damaged' | 'decoded_size' | 'pages' }

/** Leaves of the page tree, counted without ever holding more than `max + 1` of them; a cycle is damage. */
function countPages(pdf: PDFDocument, max: number): number | 'damaged' {
  const seen = new Set<PDFRef>()
  const stack: PDFPageTree[] = [pdf.catalog.Pages()]
  let pages = 0
  while (stack.length > 0) {
    const kids = stack.pop()!.Kids()
    for (let i = 0; i < kids.size(); i++) {
      const ref = kids.get(i)
      const node = pdf.context.lookup(ref)
      if (node instanceof PDFPageLeaf) {
        if (++pages > max) return pages
      } else if (node instanceof PDFPageTree) {
        if (!(ref instanceof PDFRef) || seen.has(ref)) return 'damaged'
        seen.add(ref)
        stack.push(node)
      }
    }
  }
  return pages
}

async function inspect(task: Extract<PdfTask, { kind: 'inspect' }>): Promise<InspectResult> {
  let budget
  try {
    budget = measureStreams(task.bytes, task.maxDecodedBytes)
  } catch (error) {
    if (error instanceof OverBudget) return { ok: false, problem: 'decoded_size' }
    throw error
  }
  // Written-out page objects beyond the budget are refused before pdf-lib builds any of them.
  const latin1 = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength).toString('latin1')
  if (pageObjects([latin1, ...budget.objectStreams]) > task.maxPages) return { ok: false, problem: 'pages' }
  let pdf: PDFDocument
  try {
    pdf = await PDFDocument.load(task.bytes, { updateMetadata: false, parseSpeed: Infinity })
  } catch {
    return { ok: false, problem: 'damaged' }
  }
  let pages: number | 'damaged'
  try {
    pages = countPages(pdf, task.maxPages)
  } catch {
    // No catalog, no page tree, a Kids that is not an array: pdf-lib loads more than it can use.
    pages = 'damaged'
  }
  if (pages === 'damaged' || pages === 0) return { ok: false, problem: 'damaged' }
  if (pages > task.maxPages) return { ok: false, problem: 'pages' }
  return { ok: true, pages }
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
async function stamp({ original, recipients, fields, completedAt }: Extract<PdfTask, { kind: 'stamp' }>): Promise<Uint8Array> {
  const pdf = await PDFDocument.load(original, { parseSpeed: Infinity })
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
      DATE: (signer.signed_at ?? completedAt).slice(0, 10),
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
  pdf.setModificationDate(new Date(completedAt))
  return pdf.save()
}

/** One task, as the worker pool hands it over. */
export default function handle(task: PdfTask): Promise<InspectResult | Uint8Array> {
  return task.kind === 'inspect' ? inspect(task) : stamp(task)
}
