/**
 * Hostile PDFs made at test time (none is committed): each is small on the wire and costly to
 * parse. Objects are written in file order; the cross-reference table is a single stub, which
 * PDF readers (pdf-lib among them) recover from by scanning the objects.
 */
import { constants, deflateRawSync } from 'node:zlib'

function pdf(objects: string[], streams: Record<number, Buffer> = {}): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')]
  objects.forEach((body, i) => {
    const n = i + 1
    const stream = streams[n]
    if (stream) parts.push(Buffer.from(`${n} 0 obj\n${body}\nstream\n`, 'latin1'), stream, Buffer.from('\nendstream\nendobj\n', 'latin1'))
    else parts.push(Buffer.from(`${n} 0 obj\n${body}\nendobj\n`, 'latin1'))
  })
  const size = parts.reduce((s, p) => s + p.byteLength, 0)
  parts.push(Buffer.from(`xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${size}\n%%EOF\n`, 'latin1'))
  return Buffer.concat(parts)
}

const MOD_ADLER = 65521

/**
 * A zlib stream that inflates to `prefix` followed by about `inflatedBytes` zero bytes, built from
 * one compressed 16 MiB run of zeros repeated (each run ends on a byte boundary without a final
 * block, and refers only to its own output), so 1 GiB costs about 1 MB and no gigabyte is made here.
 */
export function zlibBomb(prefix: string, inflatedBytes: number): Buffer {
  const run = 16 * 1024 * 1024
  const runs = Math.max(1, Math.round(inflatedBytes / run))
  const head = deflateRawSync(Buffer.from(prefix, 'latin1'), { finishFlush: constants.Z_SYNC_FLUSH })
  const zeros = deflateRawSync(Buffer.alloc(run), { level: 9, finishFlush: constants.Z_SYNC_FLUSH })
  // Adler-32 of prefix + zeros: zeros leave `a` as it is and add `a` to `b` once per byte.
  let a = 1
  let b = 0
  for (const byte of Buffer.from(prefix, 'latin1')) {
    a = (a + byte) % MOD_ADLER
    b = (b + a) % MOD_ADLER
  }
  const total = runs * run
  b = Number((BigInt(b) + BigInt(total) * BigInt(a)) % BigInt(MOD_ADLER))
  const trailer = Buffer.alloc(4)
  trailer.writeUInt32BE(((b << 16) | a) >>> 0)
  // 78 DA: zlib header for deflate with a 32 KiB window; 03 00: an empty final block.
  return Buffer.concat([Buffer.from([0x78, 0xda]), head, ...Array.from({ length: runs }, () => zeros), Buffer.from([0x03, 0x00]), trailer])
}

/** One page, and a compressed object stream that inflates to about `inflatedBytes` (default 1 GiB). */
export function decompressionBombPdf(inflatedBytes = 1024 ** 3): Buffer {
  const bomb = zlibBomb('6 0 ', inflatedBytes)
  return pdf(
    [
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
      '<< /Length 0 >>',
      `<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${bomb.byteLength} >>`,
    ],
    { 4: Buffer.alloc(0), 5: bomb },
  )
}

/** `pages` pages sharing one empty content stream, under one flat page tree (100,000 pages is about 5 MB). */
export function manyPagesPdf(pages = 100_000): Buffer {
  const first = 4
  const kids = Array.from({ length: pages }, (_, i) => `${first + i} 0 R`).join(' ')
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', `<< /Type /Pages /Kids [${kids}] /Count ${pages} /MediaBox [0 0 612 792] >>`, '<< /Length 0 >>']
  for (let i = 0; i < pages; i++) objects.push('<</Type/Page/Parent 2 0 R/Contents 3 0 R>>')
  return pdf(objects, { 3: Buffer.alloc(0) })
}

/** A page tree whose node is its own grandchild, and a stream whose length is itself. */
export function cyclicPdf(): Buffer {
  return pdf(
    [
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 4 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 4 0 R /MediaBox [0 0 612 792] /Contents 5 0 R >>',
      '<< /Length 5 0 R >>',
    ],
    { 5: Buffer.from('BT ET') },
  )
}

/** A PDF header on random bytes. */
export function junkPdf(bytes = 1024 * 1024): Buffer {
  const junk = Buffer.alloc(bytes)
  // A fixed pattern: deterministic, with every byte value and no structure.
  for (let i = 0; i < bytes; i++) junk[i] = (i * 2654435761) >>> 24
  return Buffer.concat([Buffer.from('%PDF-1.7\n', 'latin1'), junk])
}
