import { inflateSync } from 'node:zlib'
import { PDFDocument } from 'pdf-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { makePdf } from '../../test/pdf-fixture.js'
import { esignModule } from './index.js'

/** Whether a PDF's (possibly compressed) content streams draw `text`, as pdf-lib writes it: a hex string. */
function pdfDraws(bytes: Uint8Array, text: string): boolean {
  const hex = Buffer.from(text, 'latin1').toString('hex').toUpperCase()
  const raw = Buffer.from(bytes).toString('latin1')
  for (const match of raw.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let content = match[1]!
    try {
      content = inflateSync(Buffer.from(content, 'latin1')).toString('latin1')
    } catch {
      // an uncompressed stream
    }
    if (content.toUpperCase().includes(hex) || content.includes(`(${text})`)) return true
  }
  return false
}

describe.each(engines)('the example e-signature product (%s)', (engine) => {
  let server: TestServer
  let key: string
  let pdf: Uint8Array
  beforeAll(async () => {
    server = await startServer({ engine, modules: [esignModule] })
    key = (await server.createOrg('Acme')).key
    pdf = await makePdf(2)
  })
  afterAll(() => server.close())

  const upload = (form: FormData, k = key) => server.api('POST', '/documents', { key: k, body: form })
  const pdfForm = (title = 'Q4 vendor agreement', bytes: Uint8Array = pdf, type = 'application/pdf', name = 'contract.pdf') => {
    const form = new FormData()
    form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), name)
    form.append('title', title)
    form.append('recipients[0][name]', 'Ada Lovelace')
    form.append('recipients[0][email]', 'ada@example.com')
    form.append('recipients[0][role]', 'SIGNER')
    return form
  }

  it('runs the whole flow: multipart upload, field, send, sign on the page, download the signed PDF', async () => {
    const created = await upload(pdfForm())
    expect(created.status, created.text).toBe(201)
    expect(created.body).toMatchObject({ status: 'DRAFT', title: 'Q4 vendor agreement', page_count: 2, file_name: 'contract.pdf' })
    const doc = created.body
    const recipient = doc.recipients[0]
    expect(recipient).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com', role: 'SIGNER' })

    const offPage = await server.api('POST', `/documents/${doc.id}/fields`, { key, body: { type: 'SIGNATURE', page: 3, x: 100, y: 600, width: 200, height: 50, recipientId: recipient.id } })
    expect(offPage.status).toBe(400)
    expect(offPage.body.error.fields).toHaveProperty('page')
    const field = await server.api('POST', `/documents/${doc.id}/fields`, { key, body: { type: 'SIGNATURE', page: 1, x: 100, y: 600, width: 200, height: 50, recipientId: recipient.id } })
    expect(field.status).toBe(201)
    await server.api('POST', `/documents/${doc.id}/fields`, { key, body: { type: 'DATE', page: 2, x: 100, y: 100, width: 120, height: 20, recipientId: recipient.id } })

    const sent = await server.api('POST', `/documents/${doc.id}/send`, { key })
    expect(sent.status, sent.text).toBe(200)
    expect(sent.body.status).toBe('PENDING')
    const signingUrl: string = sent.body.recipients[0].signing_url
    expect(signingUrl).toMatch(new RegExp(`^${server.url}/sign/`))

    const pageRes = await fetch(signingUrl)
    expect(pageRes.status).toBe(200)
    const html = await pageRes.text()
    expect(html).toContain('Q4 vendor agreement')
    expect(pageRes.headers.get('content-security-policy')).toContain("default-src 'none'")
    const signed = await fetch(signingUrl, { method: 'POST', body: new URLSearchParams({ name: 'Ada Lovelace', action: 'sign' }) })
    expect(signed.status).toBe(200)
    expect(await signed.text()).toContain('complete')
    const again = await fetch(signingUrl, { method: 'POST', body: new URLSearchParams({ name: 'Mallory', action: 'sign' }) })
    expect(await again.text()).toContain('already answered')

    const done = await server.api('GET', `/documents/${doc.id}`, { key })
    expect(done.body.status).toBe('COMPLETED')
    expect(done.body.recipients[0].status).toBe('SIGNED')
    const file = await fetch(`${server.url}/api/v1/documents/${doc.id}/file`, { headers: { authorization: `Bearer ${key}` } })
    expect(file.headers.get('content-type')).toBe('application/pdf')
    const bytes = new Uint8Array(await file.arrayBuffer())
    expect(pdfDraws(bytes, 'Ada Lovelace')).toBe(true)
    expect(pdfDraws(pdf, 'Ada Lovelace')).toBe(false)
    expect((await PDFDocument.load(bytes)).getSubject()).toContain('Ada Lovelace')

    const events = await server.api('GET', '/events?limit=100', { key })
    const types = events.body.data.filter((e: { data: { id?: string; document_id?: string } }) => (e.data.id ?? e.data.document_id) === doc.id).map((e: { type: string }) => e.type)
    expect(types.sort()).toEqual(['document.completed', 'document.created', 'document.sent', 'recipient.signed'])
  })

  it('accepts JSON with file_base64, lets a recipient decline, and deletes with an event', async () => {
    const created = await server.api('POST', '/documents', {
      key,
      body: { title: 'JSON upload', file_base64: Buffer.from(pdf).toString('base64'), recipients: [{ name: 'Bob', email: 'bob@example.com', role: 'SIGNER' }] },
    })
    expect(created.status).toBe(201)
    const rid = created.body.recipients[0].id
    await server.api('POST', `/documents/${created.body.id}/fields`, { key, body: { type: 'SIGNATURE', page: 1, x: 1, y: 1, width: 100, height: 30, recipientId: rid } })
    const sent = await server.api('POST', `/documents/${created.body.id}/send`, { key })
    await fetch(sent.body.recipients[0].signing_url, { method: 'POST', body: new URLSearchParams({ action: 'decline' }) })
    expect((await server.api('GET', `/documents/${created.body.id}`, { key })).body.status).toBe('DECLINED')
    expect((await server.api('GET', '/documents?status=DECLINED', { key })).body.data.map((d: { id: string }) => d.id)).toContain(created.body.id)
    const deleted = await server.api('DELETE', `/documents/${created.body.id}`, { key })
    expect(deleted.status).toBe(200)
    expect((await server.api('GET', `/documents/${created.body.id}`, { key })).status).toBe(404)
  })

  it('refuses to send a document that is not ready, naming the field', async () => {
    const noSigner = await server.api('POST', '/documents', { key, body: { title: 'Empty', file_base64: Buffer.from(pdf).toString('base64') } })
    const r1 = await server.api('POST', `/documents/${noSigner.body.id}/send`, { key })
    expect(r1.status).toBe(400)
    expect(r1.body.error.fields).toHaveProperty('recipients')
    const noField = await upload(pdfForm('No field'))
    const r2 = await server.api('POST', `/documents/${noField.body.id}/send`, { key })
    expect(r2.status).toBe(400)
    expect(r2.body.error.fields['recipients[0]']).toContain('SIGNATURE')
  })

  it('refuses non-PDF and oversized uploads and stores nothing', async () => {
    const before = (await server.api('GET', '/documents?limit=100', { key })).body.data.length
    const fake = await upload(pdfForm('Fake', new TextEncoder().encode('hello, not a pdf'), 'application/pdf', 'fake.pdf'))
    expect(fake.status).toBe(400)
    expect(fake.body.error).toMatchObject({ code: 'validation_error', fields: { file: expect.any(String) } })
    const damaged = await upload(pdfForm('Damaged', new TextEncoder().encode('%PDF-1.7 garbage'), 'application/pdf', 'damaged.pdf'))
    expect(damaged.status).toBe(400)
    const huge = new Uint8Array(10 * 1024 * 1024 + 1024)
    huge.set(pdf)
    const big = await upload(pdfForm('Huge', huge))
    expect(big.status).toBe(413)
    expect(big.body.error.code).toBe('payload_too_large')
    const bigJson = await server.api('POST', '/documents', { key, body: { title: 'Huge', file_base64: Buffer.from(huge).toString('base64') } })
    expect(bigJson.status).toBe(413)
    expect((await server.api('GET', '/documents?limit=100', { key })).body.data.length).toBe(before)
  })

  it('enforces scopes: read cannot create, draft cannot send', async () => {
    const reader = (await server.api('POST', '/keys', { key, body: { name: 'reader', scopes: ['read'] } })).body.key
    const drafter = (await server.api('POST', '/keys', { key, body: { name: 'drafter', scopes: ['read', 'draft'] } })).body.key
    const denied = await upload(pdfForm('Nope'), reader)
    expect(denied.status).toBe(403)
    expect(denied.body.error.code).toBe('insufficient_scope')
    const mine = await upload(pdfForm('Drafted'), drafter)
    expect(mine.status).toBe(201)
    const send = await server.api('POST', `/documents/${mine.body.id}/send`, { key: drafter })
    expect(send.status).toBe(403)
    expect(send.body.error.message).toContain('actions')
  })

  it('the 31st send in a minute is 429 while GETs still pass', async () => {
    const sender = (await server.api('POST', '/keys', { key, body: { name: 'sender', scopes: ['read', 'draft', 'actions'] } })).body.key
    const doc = (await upload(pdfForm('Rate limited'), sender)).body
    const statuses: number[] = []
    for (let i = 0; i < 30; i++) statuses.push((await server.api('POST', `/documents/${doc.id}/send`, { key: sender })).status)
    expect(statuses.every((s) => s === 400)).toBe(true)
    const thirtyFirst = await server.api('POST', `/documents/${doc.id}/send`, { key: sender })
    expect(thirtyFirst.status).toBe(429)
    expect(thirtyFirst.headers.get('ratelimit-policy')).toContain('"send";q=30;w=60')
    expect(Number(thirtyFirst.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await server.api('GET', `/documents/${doc.id}`, { key: sender })).status).toBe(200)
  })

  it('generates from a template and signs through a direct link', async () => {
    const source = (await upload(pdfForm('Template source'))).body
    await server.api('POST', `/documents/${source.id}/fields`, { key, body: { type: 'SIGNATURE', page: 1, x: 50, y: 50, width: 150, height: 40, recipientId: source.recipients[0].id } })
    const template = await server.api('POST', '/templates', { key, body: { title: 'NDA', document_id: source.id } })
    expect(template.status).toBe(201)
    const generated = await server.api('POST', `/templates/${template.body.id}/generate`, { key, body: { recipients: [{ name: 'Grace Hopper', email: 'grace@example.com' }] } })
    expect(generated.status).toBe(201)
    expect(generated.body).toMatchObject({ status: 'PENDING', template_id: template.body.id })
    expect(generated.body.recipients[0]).toMatchObject({ name: 'Grace Hopper', signing_url: expect.stringContaining('/sign/') })

    const link = await server.api('POST', `/templates/${template.body.id}/direct-link`, { key })
    const start = await fetch(link.body.url, { method: 'POST', body: new URLSearchParams({ name: 'Linus', email: 'linus@example.com' }), redirect: 'manual' })
    expect(start.status).toBe(303)
    const signUrl = new URL(start.headers.get('location')!, server.url).toString()
    await fetch(signUrl, { method: 'POST', body: new URLSearchParams({ name: 'Linus Torvalds', action: 'sign' }) })
    const completed = (await server.api('GET', '/documents?status=COMPLETED&limit=100', { key })).body.data
    expect(completed.some((d: { template_id: string }) => d.template_id === template.body.id)).toBe(true)
  })
})
