import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { PDFDocument } from 'pdf-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { makePdf } from '../../test/pdf-fixture.js'
import { esignModule } from './index.js'
import { esignDb } from './tables.js'
import { pdfDraws, sentDocument, sign } from './testing.js'

const tokenOf = (url: string) => new URL(url).pathname.split('/')[2]!

describe.each(engines)('the signing page (%s)', (engine) => {
  let server: TestServer
  let key: string
  let pdf: Uint8Array
  beforeAll(async () => {
    server = await startServer({ engine, modules: [esignModule] })
    key = (await server.createOrg('Acme')).key
    pdf = await makePdf(1)
  })
  afterAll(() => server.close())

  const status = async (id: string) => (await server.api('GET', `/documents/${id}`, { key })).body

  it('escapes what people typed and allows no inline script and nothing from elsewhere', async () => {
    const doc = await sentDocument(server, key, pdf, [{ name: '"><img src=x onerror=alert(1)>', email: 'x@example.com' }], '<script>alert(1)</script> & co')
    const res = await fetch(doc.recipients[0].signing_url)
    const html = await res.text()
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co')
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;')
    expect(html).not.toMatch(/<img|onerror=alert\(1\)>/)
    // One script, the preview's, from this origin.
    expect([...html.matchAll(/<script[^>]*>/g)].map((m) => m[0])).toEqual(['<script type="module" src="assets/preview.mjs">'])
    expect(html).not.toMatch(/(src|href|url)(="|\()(https?:)?\/\//)

    const csp = res.headers.get('content-security-policy')!
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    for (const directive of ['script-src', 'worker-src', 'connect-src', 'font-src']) expect(csp).toContain(`${directive} 'self';`)
    expect(csp).not.toMatch(/unsafe-|data:|blob:|https?:/)
    const style = html.match(/<style>([\s\S]*?)<\/style>/)![1]!
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(res.headers.get('x-frame-options')).toBe('DENY')
  })

  it('names the organisation that sent the document and what it asks', async () => {
    const doc = await sentDocument(server, key, pdf, [
      { name: 'Sam', email: 'sam@example.com', role: 'SIGNER' },
      { name: 'Val', email: 'val@example.com', role: 'VIEWER' },
    ], 'Lease & annex')
    expect(await (await fetch(doc.recipients[0].signing_url)).text()).toContain('<p class="lead"><strong>Acme</strong> sent you “Lease &amp; annex” to sign.</p>')
    expect(await (await fetch(doc.recipients[1].signing_url)).text()).toContain('<strong>Acme</strong> sent you “Lease &amp; annex” to read.')
  })

  it('signs only with the consent box ticked, and says so when it is not', async () => {
    const doc = await sentDocument(server, key, pdf, [{ name: 'Cy', email: 'cy@example.com' }])
    const url = doc.recipients[0].signing_url
    const form = await (await fetch(url)).text()
    expect(form).toMatch(/<input type="checkbox" id="consent" name="consent" value="yes" required> <span>I agree to sign this document electronically and that my electronic signature is as binding as a handwritten one.<\/span>/)
    const refused = await sign(url, 'Cy Signer', 'sign', false)
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('Tick the box to agree to sign electronically; nothing was signed.')
    const ticked = await fetch(url, { method: 'POST', body: new URLSearchParams({ name: 'Cy Signer', action: 'sign', consent: 'on' }) })
    expect(ticked.status).toBe(400)
    expect((await status(doc.id)).recipients[0].status).toBe('PENDING')
    // A decline needs no consent.
    expect((await sign(url, '', 'decline', false)).status).toBe(200)
    expect((await status(doc.id)).status).toBe('DECLINED')
  })

  it('serves the preview and font files by name only, with nothing else under node_modules', async () => {
    const doc = await sentDocument(server, key, pdf, [{ name: 'Flo', email: 'flo@example.com' }])
    const assets = new URL('assets/', doc.recipients[0].signing_url).toString()
    expect(assets).toBe(`${server.url}/sign/assets/`)
    const types: Record<string, string> = {
      'preview.mjs': 'text/javascript; charset=utf-8',
      'pdf.mjs': 'text/javascript; charset=utf-8',
      'pdf.worker.mjs': 'text/javascript; charset=utf-8',
      'signature-latin.woff2': 'font/woff2',
      'signature-latin-ext.woff2': 'font/woff2',
    }
    for (const [name, type] of Object.entries(types)) {
      const res = await fetch(`${assets}${name}`)
      expect(res.status, name).toBe(200)
      expect(res.headers.get('content-type')).toBe(type)
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'")
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      const bytes = Buffer.from(await res.arrayBuffer())
      if (type === 'font/woff2') expect(bytes.subarray(0, 4).toString('latin1')).toBe('wOF2')
      else expect(bytes.byteLength).toBeGreaterThan(500)
    }
    const pdfjs = createRequire(import.meta.url).resolve('pdfjs-dist/legacy/build/pdf.worker.min.mjs')
    expect(Buffer.from(await (await fetch(`${assets}pdf.worker.mjs`)).arrayBuffer()).equals(readFileSync(pdfjs))).toBe(true)
    for (const probe of ['pdf.min.mjs', 'package.json', '..%2F..%2Fpackage.json', '..%2Fpdf.mjs', '%2e%2e%2fpackage.json', 'pdf.mjs%00', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect((await fetch(`${assets}${probe}`)).status, probe).toBe(404)
    }
    expect((await fetch(`${assets}../../package.json`)).status).toBe(404)
  })

  it('stores only a hash of the token, and answers every unknown token with the same 404', async () => {
    const doc = await sentDocument(server, key, pdf, [{ name: 'Hal', email: 'hal@example.com' }])
    const token = tokenOf(doc.recipients[0].signing_url)
    expect(Buffer.from(token, 'base64url').byteLength).toBeGreaterThanOrEqual(16)
    const row = await esignDb(server.db.handle.db).selectFrom('esign_recipients').select('token_hash').where('id', '=', doc.recipients[0].id).executeTakeFirstOrThrow()
    expect(row.token_hash).toBe(createHash('sha256').update(token).digest('hex'))
    expect(JSON.stringify(await esignDb(server.db.handle.db).selectFrom('esign_recipients').selectAll().execute())).not.toContain(token)

    const wrong = await fetch(`${server.url}/sign/${token.slice(0, -2)}xx`)
    const short = await fetch(`${server.url}/sign/abc`)
    expect(wrong.status).toBe(404)
    expect(short.status).toBe(404)
    expect(await wrong.text()).toBe(await short.text())
    expect((await sign(`${server.url}/sign/${token.slice(0, -2)}xx`, 'Hal')).status).toBe(404)
    expect((await fetch(`${server.url}/sign/${token.slice(0, -2)}xx/document.pdf`)).status).toBe(404)
  })

  it('lets the recipient read the PDF before signing, and the signed copy after', async () => {
    const doc = await sentDocument(server, key, pdf, [{ name: 'Ivy', email: 'ivy@example.com' }])
    const url = doc.recipients[0].signing_url
    const html = await (await fetch(url)).text()
    const href = html.match(/href="([^"]+document\.pdf)"/)![1]!
    const pdfUrl = new URL(href, url).toString()
    expect(pdfUrl).toBe(`${url}/document.pdf`)
    const before = await fetch(pdfUrl)
    expect(before.headers.get('content-type')).toBe('application/pdf')
    expect(before.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(pdfDraws(new Uint8Array(await before.arrayBuffer()), 'Ivy Example')).toBe(false)
    await sign(url, 'Ivy Example')
    expect(pdfDraws(new Uint8Array(await (await fetch(pdfUrl)).arrayBuffer()), 'Ivy Example')).toBe(true)
  })

  it('completes only when every SIGNER and APPROVER has signed; a VIEWER has nothing to answer', async () => {
    const doc = await sentDocument(server, key, pdf, [
      { name: 'Sam', email: 'sam@example.com', role: 'SIGNER' },
      { name: 'Abe', email: 'abe@example.com', role: 'APPROVER' },
      { name: 'Val', email: 'val@example.com', role: 'VIEWER' },
    ])
    const [signer, approver, viewer] = doc.recipients.map((r: { signing_url: string }) => r.signing_url)
    expect(await (await fetch(viewer)).text()).toContain('nothing to sign')
    expect((await sign(viewer, 'Val', 'decline')).status).toBe(403)
    expect((await status(doc.id)).status).toBe('PENDING')
    expect(await (await sign(signer, 'Sam Signer')).text()).toContain('Waiting for the other signers')
    expect((await status(doc.id)).status).toBe('PENDING')
    expect(await (await sign(approver, 'Abe Approver')).text()).toContain('the document is complete')
    const done = await status(doc.id)
    expect(done.status).toBe('COMPLETED')
    expect(done.recipients.map((r: { status: string }) => r.status)).toEqual(['SIGNED', 'SIGNED', 'PENDING'])
  })

  it('a decline ends the document; a later answer is refused', async () => {
    const doc = await sentDocument(server, key, pdf, [{ name: 'Dee', email: 'dee@example.com' }, { name: 'Eli', email: 'eli@example.com' }])
    await sign(doc.recipients[0].signing_url, 'Dee', 'decline')
    const late = await sign(doc.recipients[1].signing_url, 'Eli')
    expect(late.status).toBe(409)
    expect(await late.text()).toContain('the document was declined')
    const after = await status(doc.id)
    expect(after.status).toBe('DECLINED')
    expect(after.recipients.map((r: { status: string }) => r.status)).toEqual(['DECLINED', 'PENDING'])
  })

  it('signers answering at the same moment still complete the document', async () => {
    const docs = await Promise.all(
      [1, 2, 3].map((n) => sentDocument(server, key, pdf, [{ name: 'Kim', email: `kim${n}@example.com` }, { name: 'Lee', email: `lee${n}@example.com` }, { name: 'Max', email: `max${n}@example.com` }])),
    )
    await Promise.all(docs.flatMap((d) => d.recipients.map((r: { name: string; signing_url: string }) => sign(r.signing_url, `${r.name} Signer`))))
    for (const d of docs) {
      const after = await status(d.id)
      expect(after.status).toBe('COMPLETED')
      expect(after.recipients.every((r: { status: string }) => r.status === 'SIGNED')).toBe(true)
    }
  })

  it('stamps names beyond the standard fonts without failing, and keeps them exactly in the metadata', async () => {
    const doc = await sentDocument(server, key, pdf, [{ name: 'Zoë', email: 'zoe@example.com' }, { name: 'Li', email: 'li@example.com' }])
    expect((await sign(doc.recipients[0].signing_url, 'Zoë Ångström')).status).toBe(200)
    expect((await sign(doc.recipients[1].signing_url, '李雷 Łukasz\u202e')).status).toBe(200)
    expect((await status(doc.id)).status).toBe('COMPLETED')
    const file = new Uint8Array(await (await fetch(`${server.url}/api/v1/documents/${doc.id}/file`, { headers: { authorization: `Bearer ${key}` } })).arrayBuffer())
    expect(pdfDraws(file, 'Zoë Ångström')).toBe(true)
    expect(pdfDraws(file, '?? ?ukasz')).toBe(true)
    const subject = (await PDFDocument.load(file)).getSubject()!
    expect(subject).toContain('李雷 Łukasz <li@example.com>')
    expect(subject).not.toContain('\u202e')
  })

  it('refuses a name too short, and a form too large to be one', async () => {
    const doc = await sentDocument(server, key, pdf, [{ name: 'Ned', email: 'ned@example.com' }])
    const url = doc.recipients[0].signing_url
    const short = await sign(url, ' N ')
    expect(short.status).toBe(400)
    expect(await short.text()).toContain('Type your full name to sign.')
    const huge = await fetch(url, { method: 'POST', body: new URLSearchParams({ name: 'N'.repeat(100_000), action: 'sign' }) })
    expect(huge.status).toBe(400)
    expect((await status(doc.id)).status).toBe('PENDING')
  })
})
