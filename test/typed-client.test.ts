/**
 * The published OpenAPI document as a customer's typed client sees it: types generated with
 * openapi-typescript, a client written with openapi-fetch and compiled with tsc --strict. The
 * client compiles, uses the event union and the event-type enum, and every mistake below must be
 * refused by the compiler (`@ts-expect-error`, which is itself an error once the mistake compiles).
 */
import fs from 'node:fs'
import path from 'node:path'
import openapiTS, { astToString } from 'openapi-typescript'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shippedModules } from '../examples/main.js'
import { startServer, type TestServer } from './harness.js'

const root = path.resolve(import.meta.dirname, '..')
const dir = path.join(root, 'test-artifacts', `typed-client-${process.pid}`)

const CLIENT = `import createClient from 'openapi-fetch'
import type { components, paths } from './schema.js'

const api = createClient<paths>({ baseUrl: 'http://127.0.0.1:3000/api/v1', headers: { authorization: 'Bearer ptk_…' } })

export async function works() {
  await api.POST('/documents', { body: { title: 'NDA', file_base64: 'JVBERi0=' } })
  await api.POST('/webhooks', { body: { url: 'https://example.com/hook', events: ['document.completed', 'api_key.revoked'] } })
  await api.POST('/webhooks', { body: { url: 'https://example.com/hook', events: ['*'] } })
  const { data } = await api.GET('/events')
  for (const event of data?.data ?? []) {
    if (event.type === 'document.completed') {
      const pages: number = event.data.page_count
      const status: string = event.data.status
      void pages
      void status
    }
  }
}

export async function mistakes(event: components['schemas']['Event']) {
  // @ts-expect-error POST /documents needs its body
  await api.POST('/documents')
  // @ts-expect-error a document needs its file: file (multipart) or file_base64 (JSON)
  await api.POST('/documents', { body: { title: 'NDA' } })
  // @ts-expect-error not an event type
  await api.POST('/webhooks', { body: { url: 'https://example.com/hook', events: ['nope.event'] } })
  if (event.type === 'document.completed') {
    // @ts-expect-error a document's page_count is a number
    const pages: string = event.data.page_count
    void pages
  }
}
`

describe('typed client from the published OpenAPI document', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ modules: await shippedModules() })
    fs.mkdirSync(dir, { recursive: true })
  })
  afterAll(async () => {
    await server?.close()
    if (!process.env.KEEP) fs.rmSync(dir, { recursive: true, force: true })
  })

  it('generates with openapi-typescript and compiles an openapi-fetch client that refuses the known mistakes', { timeout: 120_000 }, async () => {
    const doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json()
    fs.writeFileSync(path.join(dir, 'schema.d.ts'), astToString(await openapiTS(doc as never)))
    fs.writeFileSync(path.join(dir, 'client.ts'), CLIENT)
    const program = ts.createProgram([path.join(dir, 'client.ts')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      types: [],
    })
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : ''
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
    })
    expect(problems).toEqual([])
  })
})
