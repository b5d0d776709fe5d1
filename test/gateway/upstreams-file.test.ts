import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadUpstreamsFile } from '../../src/gateway/upstreams-file.js'
import { snakeCase } from '../../src/gateway/openapi-import.js'

const SECRET = 'a'.repeat(40)
const secrets = (name: string) => (name === 'KB_SECRET' ? SECRET : undefined)
const example = path.resolve(import.meta.dirname, '../../examples/kb/portico.upstreams.json')

function write(content: unknown, extra: Record<string, unknown> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-upstreams-'))
  for (const [name, value] of Object.entries(extra)) fs.writeFileSync(path.join(dir, name), typeof value === 'string' ? value : JSON.stringify(value))
  const file = path.join(dir, 'upstreams.json')
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}

const upstream = (over: Record<string, unknown> = {}) => ({ name: 'kb', url: 'http://127.0.0.1:8000', secret_env: 'KB_SECRET', ...over })

function problem(file: string): string {
  try {
    loadUpstreamsFile(file, secrets)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('the file loaded')
}

describe('upstreams file', () => {
  it('imports the example: ids in snake_case, paths overridden, scopes from x-portico-scope or the method', () => {
    const [kb] = loadUpstreamsFile(example, (n) => (n === 'PORTICO_KB_SECRET' ? SECRET : undefined))
    const byId = Object.fromEntries(kb!.operations.map((o) => [o.id, o]))
    expect(Object.keys(byId).sort()).toEqual(['kb.delete_document', 'kb.export_documents', 'kb.get_document', 'kb.index_document', 'kb.list_documents', 'kb.query'])
    expect(byId['kb.query']).toMatchObject({ method: 'post', path: '/query', upstreamPath: '/v1/query', scope: 'read', limit: 'general', summary: 'Ask the knowledge base a question' })
    expect(byId['kb.query']!.body).toMatchObject({ required: ['question'] })
    expect(byId['kb.index_document']).toMatchObject({ scope: 'draft', path: '/kb/documents', upstreamPath: '/v1/documents' })
    // $ref inlined from components
    expect(byId['kb.index_document']!.body).toMatchObject({ required: ['title', 'text'], additionalProperties: false })
    expect(byId['kb.delete_document']).toMatchObject({ scope: 'actions', path: '/kb/documents/{document_id}', upstreamPath: '/v1/documents/{document_id}' })
    expect(byId['kb.get_document']!.params).toEqual({ document_id: { type: 'string', format: 'uuid', description: "The document's id" } })
    expect(byId['kb.export_documents']!.query).toMatchObject({ properties: { delay_ms: { type: 'integer' } } })
    expect(kb!.events).toEqual([{ type: 'kb.document_indexed', summary: 'A document was indexed' }])
    expect(kb!.timeoutMs).toBe(15000)
  })

  it('an operations entry alone declares an operation, as in PRODUCT.md', () => {
    const file = write({ upstreams: [upstream({ operations: [{ id: 'kb.query', method: 'post', path: '/query', upstream_path: '/v1/query', scope: 'read', summary: 'Ask', body: { type: 'object' } }] })] })
    const [kb] = loadUpstreamsFile(file, secrets)
    expect(kb!.operations).toEqual([expect.objectContaining({ id: 'kb.query', upstreamPath: '/v1/query', scope: 'read', body: { type: 'object' } })])
    expect(kb!.timeoutMs).toBe(15000)
  })

  it('snake_case ids', () => {
    expect(snakeCase('getDocument')).toBe('get_document')
    expect(snakeCase('HTTPStatus')).toBe('http_status')
    expect(snakeCase('list-docs v2')).toBe('list_docs_v2')
  })

  it.each([
    ['not JSON', '{', /upstreams\.json: the file is not valid JSON/],
    ['no upstreams', { upstreams: [] }, /upstreams must list at least one upstream/],
    ['an unknown field', { upstreams: [upstream({ retries: 3 })] }, /upstream "kb": .*retries/],
    ['a bad url', { upstreams: [upstream({ url: 'ftp://x' })] }, /upstream "kb": url must be an http/],
    ['an unset secret', { upstreams: [upstream({ secret_env: 'NOPE' })] }, /upstream "kb": the secret variable NOPE is not set/],
    ['no operations', { upstreams: [upstream()] }, /upstream "kb": declares no operations/],
    ['a foreign id', { upstreams: [upstream({ operations: [{ id: 'other.query', method: 'get', path: '/q' }] })] }, /operation id "other.query" must be kb\.<name>/],
    ['a missing method', { upstreams: [upstream({ operations: [{ id: 'kb.query', path: '/q' }] })] }, /operation kb\.query needs a method/],
    ['a bad schema', { upstreams: [upstream({ operations: [{ id: 'kb.query', method: 'post', path: '/q', body: { type: 'array' } }] })] }, /its body schema must be of type object/],
    ['a missing document', { upstreams: [upstream({ openapi: './nope.json' })] }, /upstream "kb": cannot read its OpenAPI document \.\/nope\.json/],
    ['a clash', { upstreams: [upstream({ operations: [{ id: 'kb.a', method: 'get', path: '/x/{id}' }, { id: 'kb.b', method: 'get', path: '/x/{other}' }] })] }, /operation kb\.b and kb\.a share GET \/x\/\{other\}/],
  ])('%s stops the start with one line naming the file, the upstream and the problem', (_, content, pattern) => {
    const file = write(content)
    const message = problem(file)
    expect(message).toMatch(pattern)
    expect(message.startsWith(`PORTICO_UPSTREAMS: ${file}: `)).toBe(true)
    expect(message).not.toContain('\n')
  })

  it('an OpenAPI document that is not 3.x, or refers to what it lacks, is named', () => {
    expect(problem(write({ upstreams: [upstream({ openapi: 'doc.json' })] }, { 'doc.json': { swagger: '2.0' } }))).toMatch(/is not OpenAPI 3\.x/)
    const doc = { openapi: '3.0.3', paths: { '/a': { post: { operationId: 'a', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Missing' } } } } } } } }
    expect(problem(write({ upstreams: [upstream({ openapi: 'doc.json' })] }, { 'doc.json': doc }))).toMatch(/refers to #\/components\/schemas\/Missing, which it does not define/)
    const noId = { openapi: '3.1.0', paths: { '/a': { get: {} } } }
    expect(problem(write({ upstreams: [upstream({ openapi: 'doc.json' })] }, { 'doc.json': noId }))).toMatch(/GET \/a has no operationId/)
  })
})
