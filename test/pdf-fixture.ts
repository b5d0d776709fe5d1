import { PDFDocument, StandardFonts } from 'pdf-lib'

/** A small real PDF with `pages` pages, for upload tests. */
export async function makePdf(pages = 2, text = 'Mutual non-disclosure agreement'): Promise<Uint8Array> {
  const pdf = await PDFDocument.create()
  const font = await pdf.embedFont(StandardFonts.Helvetica)
  for (let i = 0; i < pages; i++) pdf.addPage([612, 792]).drawText(`${text} — page ${i + 1}`, { x: 72, y: 720, size: 14, font })
  return pdf.save()
}
