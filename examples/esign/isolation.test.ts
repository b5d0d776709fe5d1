import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { makePdf } from '../../test/pdf-fixture.js'
import { esignModule } from './index.js'

/**
 * Another organisation's document, recipient or template is 404 wherever its id appears: in the
 * path, beside one of the caller's own ids, or in a body. (test/security.test.ts checks the path
 * of every operation from the registry; this covers the mixed cases only the example has.)
 */
describe.each(engines)("another organisation's resources (%s)", (engine) => {
  let server: TestServer
  let mine: string
  let theirs: string
  let own: { id: string; rid: string }
  let foreign: { id: string; rid: string; template: string }
  beforeAll(async () => {
    server = await startServer({ engine, modules: [esignModule] })
    mine = (await server.createOrg('Mine')).key
    theirs = (await server.createOrg('Theirs')).key
    const file_base64 = Buffer.from(await makePdf(1)).toString('base64')
    const create = async (key: string) => {
      const doc = (await server.api('POST', '/documents', { key, body: { title: 'Doc', file_base64, recipients: [{ name: 'A', email: 'a@example.com' }] } })).body
      await server.api('POST', `/documents/${doc.id}/fields`, { key, body: { type: 'SIGNATURE', page: 1, x: 1, y: 1, width: 90, height: 30, recipientId: doc.recipients[0].id } })
      return { id: doc.id as string, rid: doc.recipients[0].id as string }
    }
    own = await create(mine)
    const other = await create(theirs)
    const template = (await server.api('POST', '/templates', { key: theirs, body: { title: 'Theirs', document_id: other.id } })).body.id
    await server.api('POST', `/documents/${other.id}/send`, { key: theirs })
    foreign = { ...other, template }
  })
  afterAll(() => server.close())

  const expect404 = async (method: string, path: string, body?: unknown) => {
    const res = await server.api(method, path, { key: mine, body })
    expect(res.status, `${method} ${path} → ${res.text}`).toBe(404)
    expect(res.body.error.code).toBe('not_found')
  }

  it('is 404 in the path of every document and template operation', async () => {
    for (const [method, path] of [
      ['GET', `/documents/${foreign.id}`],
      ['GET', `/documents/${foreign.id}/file`],
      ['GET', `/documents/${foreign.id}/recipients`],
      ['GET', `/documents/${foreign.id}/fields`],
      ['DELETE', `/documents/${foreign.id}`],
      ['POST', `/documents/${foreign.id}/send`],
      ['POST', `/documents/${foreign.id}/duplicate`],
      ['POST', `/documents/${foreign.id}/recipients/${foreign.rid}/embed-token`],
      ['GET', `/templates/${foreign.template}`],
      ['POST', `/templates/${foreign.template}/generate`],
      ['POST', `/templates/${foreign.template}/direct-link`],
    ] as const) {
      await expect404(method, path, method === 'POST' ? {} : undefined)
    }
    await expect404('POST', `/documents/${foreign.id}/recipients`, { name: 'B', email: 'b@example.com' })
    await expect404('POST', `/documents/${foreign.id}/fields`, { type: 'SIGNATURE', page: 1, x: 1, y: 1, width: 9, height: 9, recipientId: foreign.rid })
  })

  it("is 404 beside the caller's own document: a foreign recipient, in the path or a field's body", async () => {
    await server.api('POST', `/documents/${own.id}/send`, { key: mine })
    await expect404('POST', `/documents/${own.id}/recipients/${foreign.rid}/embed-token`)
    const draft = (await server.api('POST', `/documents/${own.id}/duplicate`, { key: mine })).body
    await expect404('POST', `/documents/${draft.id}/fields`, { type: 'SIGNATURE', page: 1, x: 1, y: 1, width: 9, height: 9, recipientId: foreign.rid })
    // One of the caller's own recipients on another of its documents is a mistake in the body, not a secret.
    const elsewhere = await server.api('POST', `/documents/${draft.id}/fields`, { key: mine, body: { type: 'SIGNATURE', page: 1, x: 1, y: 1, width: 9, height: 9, recipientId: own.rid } })
    expect(elsewhere.status).toBe(400)
    expect(elsewhere.body.error.fields).toHaveProperty('recipientId')
  })

  it("is 404 for a template made from another organisation's document, and lists never show theirs", async () => {
    await expect404('POST', '/templates', { title: 'Stolen', document_id: foreign.id })
    const docs = (await server.api('GET', '/documents?limit=100', { key: mine })).body.data.map((d: { id: string }) => d.id)
    expect(docs).not.toContain(foreign.id)
    expect((await server.api('GET', '/documents?status=PENDING', { key: mine })).body.data.map((d: { id: string }) => d.id)).not.toContain(foreign.id)
    expect((await server.api('GET', '/templates', { key: mine })).body.data).toEqual([])
    const events = (await server.api('GET', '/events?limit=100', { key: mine })).body.data
    expect(JSON.stringify(events)).not.toContain(foreign.id)
  })

  it('leaves their document untouched', async () => {
    const doc = (await server.api('GET', `/documents/${foreign.id}`, { key: theirs })).body
    expect(doc).toMatchObject({ status: 'PENDING', recipients: [{ status: 'PENDING' }] })
    expect(doc.fields).toHaveLength(1)
  })
})
