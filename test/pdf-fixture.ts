import { constants, deflateRawSync, deflateSync } from 'node:zlib'
import { PDFDocument, StandardFonts } from 'pdf-lib'

/** A small real PDF with `pages` pages, for upload tests. */
export async function makePdf(pages = 2, text = 'Mutual non-disclosure agreement'): Promise<Uint8Array> {
  const pdf = await PDFDocument.create()
  const font = await pdf.embedFont(StandardFonts.Helvetica)
  for (let i = 0; i < pages; i++) pdf.addPage([612, 792]).drawText(`${text} — page ${i + 1}`, { x: 72, y: 720, size: 14, font })
  return pdf.save()
}

/** A PDF from numbered object bodies (1 is the catalog), with a correct cross-reference table. */
function assemble(objects: (string | Buffer)[]): Uint8Array {
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')]
  let offset = parts[0]!.length
  const offsets: number[] = []
  objects.forEach((body, i) => {
    const chunk = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'), Buffer.from('\nendobj\n')])
    offsets.push(offset)
    offset += chunk.length
    parts.push(chunk)
  })
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`, ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('')
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`))
  return Buffer.concat(parts)
}

/**
 * zlib data that inflates to `megabytes` MB of spaces, made without ever holding them: one
 * fully flushed 1 MB block repeated (each restarts the compressor, so the copies are identical),
 * an empty final block, and the Adler-32 of the whole, computed in closed form.
 */
export function spacesDeflated(megabytes: number): Buffer {
  const block = deflateRawSync(Buffer.alloc(1 << 20, 0x20), { level: 9, finishFlush: constants.Z_FULL_FLUSH })
  const n = BigInt(megabytes) << 20n
  const c = 0x20n
  const a = (1n + n * c) % 65521n
  const b = (n + (c * n * (n + 1n)) / 2n) % 65521n
  const adler = Buffer.alloc(4)
  adler.writeUInt32BE(Number((b << 16n) | a))
  return Buffer.concat([Buffer.from([0x78, 0xda]), ...Array<Buffer>(megabytes).fill(block), deflateRawSync(Buffer.alloc(0)), adler])
}

/** One page, and an object stream whose `filters` decode it to `megabytes` MB: a decompression bomb. */
export function decompressionBomb(megabytes = 1024, twice = false): Uint8Array {
  let data = spacesDeflated(megabytes)
  if (twice) data = deflateSync(data, { level: 9 })
  const filter = twice ? '[/FlateDecode /FlateDecode]' : '/FlateDecode'
  return assemble([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>',
    Buffer.concat([Buffer.from(`<< /Type /ObjStm /N 1 /First 4 /Filter ${filter} /Length ${data.length} >>\nstream\n`), data, Buffer.from('\nendstream')]),
  ])
}

/**
 * `pages` pages: each its own object, or (`shared`) one page object listed `pages` times, a page
 * tree whose `/Count` says 1. Uncompressed, so 100,000 distinct pages stay under 10 MB.
 */
export function manyPagesPdf(pages: number, shared = false): Uint8Array {
  const kids = Array.from({ length: pages }, (_, i) => `${shared ? 3 : i + 3} 0 R`).join(' ')
  const leaves = Array.from({ length: shared ? 1 : pages }, () => '<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>')
  return assemble(['<< /Type /Catalog /Pages 2 0 R >>', `<< /Type /Pages /Kids [${kids}] /Count ${shared ? 1 : pages} >>`, ...leaves])
}
