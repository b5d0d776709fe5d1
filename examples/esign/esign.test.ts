import { PDFDocument } from 'pdf-lib'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { makePdf } from '../../test/pdf-fixture.js'
import { esignModule } from './index.js'
import { esignDb } from './tables.js'
import { pdfDraws, pdfForm, sentDocument, sign } from './testing.js'

describe.each(engines)('the example e-signature product (%s)', (engine) => {
  let server: TestServer
  let key: string
  let pdf: Uint8Array
  const logLines: { msg: string }[] = []
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) })
    server = await startServer({ engine, modules: [esignModule], logger })
    key = (await server.createOrg('Acme')).key
    pdf = await makePdf(2)
  })
  afterAll(() => server.close())

  const upload = (form: FormData, k = key) => server.api('POST', '/documents', { key: k, body: form })
  const storedDocuments = async () => Number((await esignDb(server.db.handle.db).selectFrom('esign_documents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

  it('runs the whole flow: multipart upload, field, send, sign on the page, download the signed PDF', async () => {
    const created = await upload(pdfForm(pdf))
    expect(created.status, created.text).toBe(201)
    expect(created.body).toMatchObject({ status: 'DRAFT', title: 'Q4 vendor agreement', page_count: 2, file_name: 'contract.pdf' })
    const doc = created.body
    const recipient = doc.recipients[0]
    expect(recipient).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com', role: 'SIGNER', status: 'PENDING' })

    const offPage = await server.api('POST', `/documents/${doc.id}/fields`, { key, body: { type: 'SIGNATURE', page: 3, x: 100, y: 600, width: 200, height: 50, recipientId: recipient.id } })
    expect(offPage.status).toBe(400)
    expect(offPage.body.error).toMatchObject({ code: 'validation_error', fields: { page: expect.stringContaining('between 1 and 2') } })
    const field = await server.api('POST', `/documents/${doc.id}/fields`, { key, body: { type: 'SIGNATURE', page: 1, x: 100, y: 600, width: 200, height: 50, recipientId: recipient.id } })
    expect(field.status).toBe(201)
    expect(field.body).toMatchObject({ type: 'SIGNATURE', page: 1, recipientId: recipient.id })
    await server.api('POST', `/documents/${doc.id}/fields`, { key, body: { type: 'DATE', page: 2, x: 100, y: 100, width: 120, height: 20, recipientId: recipient.id } })
    expect((await server.api('GET', `/documents/${doc.id}/fields`, { key })).body.data).toHaveLength(2)

    const sent = await server.api('POST', `/documents/${doc.id}/send`, { key })
    expect(sent.status, sent.text).toBe(200)
    expect(sent.body.status).toBe('PENDING')
    expect(sent.headers.get('ratelimit-policy')).toContain('"send";q=30;w=60')
    const signingUrl: string = sent.body.recipients[0].signing_url
    expect(signingUrl).toMatch(new RegExp(`^${server.url}/sign/[A-Za-z0-9_-]{32}$`))
    // The log says a link went out, never the link; and it is not kept anywhere readable.
    expect(logLines.some((l) => l.msg === 'signing link issued for ada@example.com')).toBe(true)
    expect(JSON.stringify(logLines)).not.toContain(signingUrl)
    expect((await server.api('GET', `/documents/${doc.id}`, { key })).body.recipients[0].signing_url).toBeUndefined()
    const pending = await server.api('POST', `/documents/${doc.id}/fields`, { key, body: { type: 'TEXT', page: 1, x: 1, y: 1, width: 10, height: 10, recipientId: recipient.id } })
    expect(pending.body.error.fields).toHaveProperty('status')

    const pageRes = await fetch(signingUrl)
    expect(pageRes.status).toBe(200)
    expect(await pageRes.text()).toContain('Q4 vendor agreement')
    const signed = await sign(signingUrl, 'Ada Lovelace')
    expect(signed.status).toBe(200)
    expect(await signed.text()).toContain('the document is complete')
    const again = await sign(signingUrl, 'Mallory')
    expect(again.status).toBe(409)
    expect(await again.text()).toContain('You signed; the document is complete')

    const done = await server.api('GET', `/documents/${doc.id}`, { key })
    expect(done.body).toMatchObject({ status: 'COMPLETED', completed_at: expect.any(String) })
    expect(done.body.recipients[0]).toMatchObject({ status: 'SIGNED', signed_at: expect.any(String) })
    const file = await fetch(`${server.url}/api/v1/documents/${doc.id}/file`, { headers: { authorization: `Bearer ${key}` } })
    expect(file.status).toBe(200)
    expect(file.headers.get('content-type')).toBe('application/pdf')
    expect(file.headers.get('content-disposition')).toContain('contract (signed).pdf')
    const bytes = new Uint8Array(await file.arrayBuffer())
    expect(pdfDraws(bytes, 'Ada Lovelace')).toBe(true)
    expect(pdfDraws(bytes, new Date().toISOString().slice(0, 10))).toBe(true)
    expect(pdfDraws(pdf, 'Ada Lovelace')).toBe(false)
    const signedPdf = await PDFDocument.load(bytes)
    expect(signedPdf.getPageCount()).toBe(2)
    expect(signedPdf.getSubject()).toContain('Ada Lovelace <ada@example.com>')

    const events = await server.api('GET', '/events?limit=100', { key })
    const types = events.body.data.filter((e: { data: { id?: string; document_id?: string } }) => (e.data.id ?? e.data.document_id) === doc.id).map((e: { type: string }) => e.type)
    expect(types.sort()).toEqual(['document.completed', 'document.created', 'document.sent', 'recipient.signed'])
    expect((await server.api('GET', '/documents?status=COMPLETED', { key })).body.data.map((d: { id: string }) => d.id)).toContain(doc.id)
    // The signer did it through their link: the audit log names them, not the operator.
    const audit = await server.api('GET', '/audit-log?action=recipient.signed', { key })
    expect(audit.body.data[0].actor).toEqual({ type: 'recipient', id: done.body.recipients[0].id, label: 'ada@example.com' })
    // With the signature, the consent the page asked for and when it was given.
    expect(audit.body.data[0].details).toMatchObject({ consent: expect.stringContaining('I agree to sign this document electronically'), consented_at: done.body.recipients[0].signed_at })
    const signedEvent = events.body.data.find((e: { type: string; data: { document_id?: string } }) => e.type === 'recipient.signed' && e.data.document_id === doc.id)
    expect(signedEvent.data.recipient.consented_at).toBe(done.body.recipients[0].signed_at)
    const byAda = await server.api('GET', '/audit-log?actor=ada@example.com', { key })
    expect(byAda.body.data.map((a: { action: string }) => a.action)).toEqual(['document.completed', 'recipient.signed'])
  })

  it('accepts JSON with file_base64, lets a recipient decline, and deletes with an event', async () => {
    const created = await server.api('POST', '/documents', {
      key,
      body: { title: 'JSON upload', file_base64: Buffer.from(pdf).toString('base64'), recipients: [{ name: 'Bob', email: 'Bob@Example.com', role: 'SIGNER' }] },
    })
    expect(created.status).toBe(201)
    expect(created.body.recipients[0].email).toBe('bob@example.com')
    const rid = created.body.recipients[0].id
    await server.api('POST', `/documents/${created.body.id}/fields`, { key, body: { type: 'SIGNATURE', page: 1, x: 1, y: 1, width: 100, height: 30, recipientId: rid } })
    const sent = await server.api('POST', `/documents/${created.body.id}/send`, { key })
    const declined = await fetch(sent.body.recipients[0].signing_url, { method: 'POST', body: new URLSearchParams({ action: 'decline' }) })
    expect(await declined.text()).toContain('You declined')
    expect((await server.api('GET', `/documents/${created.body.id}`, { key })).body.status).toBe('DECLINED')
    expect((await server.api('GET', '/documents?status=DECLINED', { key })).body.data.map((d: { id: string }) => d.id)).toEqual([created.body.id])
    expect((await server.api('GET', '/documents?status=SIGNED', { key })).status).toBe(400)

    const deleted = await server.api('DELETE', `/documents/${created.body.id}`, { key })
    expect(deleted.status).toBe(200)
    expect(deleted.body.id).toBe(created.body.id)
    expect((await server.api('GET', `/documents/${created.body.id}`, { key })).status).toBe(404)
    expect((await fetch(sent.body.recipients[0].signing_url)).status).toBe(404)
    const events = (await server.api('GET', '/events?limit=100', { key })).body.data
    expect(events.some((e: { type: string; data: { id: string } }) => e.type === 'document.deleted' && e.data.id === created.body.id)).toBe(true)
  })

  it('refuses to send a document that is not ready, naming the field', async () => {
    const noSigner = await server.api('POST', '/documents', {
      key,
      body: { title: 'Viewer only', file_base64: Buffer.from(pdf).toString('base64'), recipients: [{ name: 'Vic', email: 'vic@example.com', role: 'VIEWER' }] },
    })
    const r1 = await server.api('POST', `/documents/${noSigner.body.id}/send`, { key })
    expect(r1.status).toBe(400)
    expect(r1.body.error).toMatchObject({ code: 'validation_error', fields: { recipients: 'need at least one SIGNER' } })
    const noField = await upload(pdfForm(pdf, { title: 'No field' }))
    const r2 = await server.api('POST', `/documents/${noField.body.id}/send`, { key })
    expect(r2.status).toBe(400)
    expect(r2.body.error.fields['recipients[0]']).toContain('SIGNATURE')
    expect((await server.api('GET', `/documents/${noField.body.id}`, { key })).body.status).toBe('DRAFT')
  })

  it('refuses non-PDF, damaged, oversized and missing uploads, and stores nothing', async () => {
    const before = await storedDocuments()
    const text = await upload(pdfForm(new TextEncoder().encode('hello, not a pdf'), { name: 'fake.pdf' }))
    expect(text.status).toBe(400)
    expect(text.body.error).toMatchObject({ code: 'validation_error', fields: { file: 'must be a PDF file' } })
    const damaged = await upload(pdfForm(new TextEncoder().encode('%PDF-1.7 garbage'), { name: 'damaged.pdf' }))
    expect(damaged.status).toBe(400)
    expect(damaged.body.error.fields).toHaveProperty('file')
    const notFile = new FormData()
    notFile.append('title', 'Not a file')
    notFile.append('file', 'just text')
    expect((await upload(notFile)).body.error.fields).toHaveProperty('file')
    const none = await server.api('POST', '/documents', { key, body: { title: 'No file' } })
    expect(none.body.error.fields).toHaveProperty('file')
    const badBase64 = await server.api('POST', '/documents', { key, body: { title: 'Junk', file_base64: '%%% not base64 %%%' } })
    expect(badBase64.body.error.fields).toHaveProperty('file_base64')
    const jsonText = await server.api('POST', '/documents', { key, body: { title: 'Text', file_base64: Buffer.from('plain text').toString('base64') } })
    expect(jsonText.body.error).toMatchObject({ code: 'validation_error', fields: { file_base64: 'must be a PDF file' } })

    // A valid PDF header and body, padded past 10 MB: refused for its size alone.
    const huge = new Uint8Array(10 * 1024 * 1024 + 1024)
    huge.set(pdf)
    const big = await upload(pdfForm(huge))
    expect(big.status).toBe(413)
    expect(big.body.error.code).toBe('payload_too_large')
    const bigJson = await server.api('POST', '/documents', { key, body: { title: 'Huge', file_base64: Buffer.from(huge).toString('base64') } })
    expect(bigJson.status).toBe(413)
    const tooBigToRead = await upload(pdfForm(new Uint8Array(15 * 1024 * 1024)))
    expect(tooBigToRead.status).toBe(413)
    expect(await storedDocuments()).toBe(before)
  })

  it('enforces scopes: read cannot create, draft cannot send', async () => {
    const reader = (await server.api('POST', '/keys', { key, body: { name: 'reader', scopes: ['read'] } })).body.key
    const drafter = (await server.api('POST', '/keys', { key, body: { name: 'drafter', scopes: ['read', 'draft'] } })).body.key
    const denied = await upload(pdfForm(pdf, { title: 'Nope' }), reader)
    expect(denied.status).toBe(403)
    expect(denied.body.error).toMatchObject({ code: 'insufficient_scope', message: expect.stringContaining('draft') })
    expect((await server.api('GET', '/documents', { key: reader })).status).toBe(200)
    const mine = await upload(pdfForm(pdf, { title: 'Drafted' }), drafter)
    expect(mine.status).toBe(201)
    const send = await server.api('POST', `/documents/${mine.body.id}/send`, { key: drafter })
    expect(send.status).toBe(403)
    expect(send.body.error).toMatchObject({ code: 'insufficient_scope', message: expect.stringContaining('actions') })
    expect((await server.api('DELETE', `/documents/${mine.body.id}`, { key: drafter })).status).toBe(403)
  })

  it('the 31st send in a minute is 429 while GETs still pass', async () => {
    const sender = (await server.api('POST', '/keys', { key, body: { name: 'sender', scopes: ['read', 'draft', 'actions'] } })).body.key
    const doc = (await upload(pdfForm(pdf, { title: 'Rate limited' }), sender)).body
    // Refused sends (no SIGNATURE field yet) still count: the class meters attempts, not successes.
    const statuses: number[] = []
    for (let i = 0; i < 30; i++) statuses.push((await server.api('POST', `/documents/${doc.id}/send`, { key: sender })).status)
    expect(statuses.every((s) => s === 400)).toBe(true)
    const thirtyFirst = await server.api('POST', `/documents/${doc.id}/send`, { key: sender })
    expect(thirtyFirst.status).toBe(429)
    expect(thirtyFirst.body.error.code).toBe('rate_limited')
    expect(thirtyFirst.headers.get('ratelimit-policy')).toContain('"send";q=30;w=60')
    expect(Number(thirtyFirst.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await server.api('GET', `/documents/${doc.id}`, { key: sender })).status).toBe(200)
    expect((await server.api('POST', `/documents/${doc.id}/fields`, { key: sender, body: { type: 'SIGNATURE', page: 1, x: 1, y: 1, width: 90, height: 30, recipientId: doc.recipients[0].id } })).status).toBe(201)
    expect((await server.api('POST', `/templates/00000000-0000-4000-8000-000000000000/generate`, { key: sender, body: {} })).status).toBe(429)
  })

  it('duplicates a document into a new draft with its recipients and fields', async () => {
    const sent = await sentDocument(server, key, pdf, [{ name: 'Ann', email: 'ann@example.com' }, { name: 'Vera', email: 'vera@example.com', role: 'VIEWER' }], 'Original')
    const copy = await server.api('POST', `/documents/${sent.id}/duplicate`, { key })
    expect(copy.status).toBe(201)
    expect(copy.body).toMatchObject({ title: 'Original (copy)', status: 'DRAFT', page_count: 2 })
    expect(copy.body.id).not.toBe(sent.id)
    expect(copy.body.recipients.map((r: { email: string; role: string; status: string }) => [r.email, r.role, r.status])).toEqual([
      ['ann@example.com', 'SIGNER', 'PENDING'],
      ['vera@example.com', 'VIEWER', 'PENDING'],
    ])
    expect(copy.body.fields).toHaveLength(1)
    expect(copy.body.fields[0].recipientId).toBe(copy.body.recipients[0].id)
    expect((await server.api('POST', `/documents/${copy.body.id}/send`, { key })).status).toBe(200)
  })

  it('an embed token replaces the signing link, and an idempotent replay of send never repeats a link', async () => {
    const created = await server.api('POST', '/documents', { key, body: { title: 'Embedded', file_base64: Buffer.from(pdf).toString('base64'), recipients: [{ name: 'Eve', email: 'eve@example.com' }] } })
    const rid = created.body.recipients[0].id
    await server.api('POST', `/documents/${created.body.id}/fields`, { key, body: { type: 'SIGNATURE', page: 1, x: 1, y: 1, width: 100, height: 30, recipientId: rid } })
    const early = await server.api('POST', `/documents/${created.body.id}/recipients/${rid}/embed-token`, { key })
    expect(early.body.error.fields).toHaveProperty('status')

    const headers = { 'idempotency-key': `send-${created.body.id}` }
    const sent = await server.api('POST', `/documents/${created.body.id}/send`, { key, headers })
    expect(sent.body.recipients[0].signing_url).toContain('/sign/')
    const replay = await server.api('POST', `/documents/${created.body.id}/send`, { key, headers })
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    expect(replay.body.status).toBe('PENDING')
    expect(replay.body.recipients[0].signing_url).toBeNull()

    const embed = await server.api('POST', `/documents/${created.body.id}/recipients/${rid}/embed-token`, { key })
    expect(embed.status).toBe(201)
    expect(embed.body).toMatchObject({ document_id: created.body.id, recipient_id: rid, url: `${server.url}/sign/${embed.body.token}?embed=1` })
    expect((await fetch(sent.body.recipients[0].signing_url)).status).toBe(404)
    const framed = await fetch(embed.body.url)
    expect(framed.status).toBe(200)
    expect(framed.headers.get('content-security-policy')).toContain('frame-ancestors *')
    expect((await sign(embed.body.url, 'Eve Example')).status).toBe(200)
    expect((await server.api('GET', `/documents/${created.body.id}`, { key })).body.status).toBe('COMPLETED')
    expect((await server.api('POST', `/documents/${created.body.id}/recipients/${rid}/embed-token`, { key })).status).toBe(400)
  })

  it('generates from a template and signs through a direct link', async () => {
    const source = (await upload(pdfForm(pdf, { title: 'Template source' }))).body
    await server.api('POST', `/documents/${source.id}/fields`, { key, body: { type: 'SIGNATURE', page: 1, x: 50, y: 50, width: 150, height: 40, recipientId: source.recipients[0].id } })
    const template = await server.api('POST', '/templates', { key, body: { title: 'NDA', document_id: source.id } })
    expect(template.status).toBe(201)
    expect(template.body).toMatchObject({ title: 'NDA', page_count: 2, recipients: [{ email: 'ada@example.com', role: 'SIGNER', fields: [{ type: 'SIGNATURE', page: 1 }] }] })
    expect((await server.api('GET', `/templates/${template.body.id}`, { key })).body.id).toBe(template.body.id)
    expect((await server.api('GET', '/templates', { key })).body.data.map((t: { id: string }) => t.id)).toContain(template.body.id)

    const tooMany = await server.api('POST', `/templates/${template.body.id}/generate`, { key, body: { recipients: [{ name: 'A', email: 'a@example.com' }, { name: 'B', email: 'b@example.com' }] } })
    expect(tooMany.body.error.fields).toHaveProperty('recipients')
    const generated = await server.api('POST', `/templates/${template.body.id}/generate`, { key, body: { recipients: [{ name: 'Grace Hopper', email: 'grace@example.com' }] } })
    expect(generated.status).toBe(201)
    expect(generated.headers.get('ratelimit-policy')).toContain('"send"')
    expect(generated.body).toMatchObject({ status: 'PENDING', title: 'NDA', template_id: template.body.id, fields: [{ type: 'SIGNATURE' }] })
    expect(generated.body.recipients[0]).toMatchObject({ name: 'Grace Hopper', signing_url: expect.stringContaining('/sign/') })
    await sign(generated.body.recipients[0].signing_url, 'Grace Hopper')
    expect((await server.api('GET', `/documents/${generated.body.id}`, { key })).body.status).toBe('COMPLETED')

    const link = await server.api('POST', `/templates/${template.body.id}/direct-link`, { key })
    expect(link.body.url).toMatch(new RegExp(`^${server.url}/d/`))
    const form = await fetch(link.body.url)
    expect(await form.text()).toContain('<strong>Acme</strong> asks you to sign “NDA”.')
    const invalid = await fetch(link.body.url, { method: 'POST', body: new URLSearchParams({ name: 'L', email: 'nope' }) })
    expect(invalid.status).toBe(400)
    const start = await fetch(link.body.url, { method: 'POST', body: new URLSearchParams({ name: 'Linus', email: 'linus@example.com' }), redirect: 'manual' })
    expect(start.status).toBe(303)
    const signUrl = start.headers.get('location')!
    expect(signUrl).toMatch(new RegExp(`^${server.url}/sign/`))
    expect(await (await sign(signUrl, 'Linus Torvalds')).text()).toContain('the document is complete')
    const completed = (await server.api('GET', '/documents?status=COMPLETED&limit=100', { key })).body.data
    expect(completed.filter((d: { template_id: string }) => d.template_id === template.body.id)).toHaveLength(2)

    const replaced = await server.api('POST', `/templates/${template.body.id}/direct-link`, { key })
    expect(replaced.body.url).not.toBe(link.body.url)
    expect((await fetch(link.body.url)).status).toBe(404)
  })

  it('publishes its events with their schemas in the OpenAPI webhooks section', async () => {
    const doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json()
    for (const type of ['document.created', 'document.sent', 'recipient.signed', 'document.completed', 'document.deleted']) expect(doc.webhooks, type).toHaveProperty([type])
    expect(doc.paths['/documents'].post.requestBody.content).toHaveProperty(['multipart/form-data'])
    const catalog = (await server.api('GET', '/catalog', { key })).body.data
    expect(catalog.find((o: { id: string }) => o.id === 'documents.send')).toMatchObject({ method: 'POST', path: '/api/v1/documents/{id}/send', scope: 'actions', callable: true })
  })
})
