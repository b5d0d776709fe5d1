import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../../test/harness.js'
import { ApiError } from '../core/errors.js'
import { defineModule } from '../core/module.js'
import { defineOperation, FileResult } from '../core/operation.js'
import { z } from '../core/schema.js'

/** Operations of every kind of answer the REST adapter writes. */
const probe = defineModule({
  name: 'lanes',
  operations: [
    defineOperation({
      id: 'lanes.item',
      method: 'get',
      path: '/lanes/items/{item_id}',
      summary: 'Echoes its path parameter and query',
      scope: 'read',
      params: z.object({ item_id: z.string() }),
      query: z.object({ q: z.string().optional(), n: z.string().optional() }),
      output: z.object({ item_id: z.string(), q: z.string().nullable(), n: z.string().nullable() }),
      handler: ({ item_id, q, n }) => ({ item_id, q: q ?? null, n: n ?? null }),
    }),
    defineOperation({
      id: 'lanes.create',
      method: 'post',
      path: '/lanes/items',
      summary: 'Takes a JSON body',
      scope: 'draft',
      status: 201,
      idempotent: true,
      body: z.object({ name: z.string().min(1) }),
      output: z.object({ name: z.string() }),
      handler: ({ name }) => ({ name }),
    }),
    defineOperation({
      id: 'lanes.file',
      method: 'get',
      path: '/lanes/file',
      summary: 'Answers bytes',
      scope: 'read',
      output: z.object({}),
      fileOutput: 'text/plain',
      handler: () => new FileResult(new TextEncoder().encode('plain bytes'), 'text/plain', 'a "b".txt'),
    }),
    defineOperation({
      id: 'lanes.own',
      method: 'get',
      path: '/lanes/own',
      summary: 'Answers its own web Response',
      scope: 'read',
      output: z.object({}),
      handler: () => {
        const headers = new Headers({ 'content-type': 'text/plain', 'x-own': 'yes' })
        headers.append('set-cookie', 'a=1')
        headers.append('set-cookie', 'b=2')
        return new Response('its own body', { status: 202, headers })
      },
    }),
    defineOperation({
      id: 'lanes.refuse',
      method: 'get',
      path: '/lanes/refuse',
      summary: 'Refuses with headers of its own',
      scope: 'read',
      output: z.object({}),
      handler: () => {
        throw new ApiError('conflict', 'Not now', { headers: { 'X-Why': 'because' } })
      },
    }),
    defineOperation({
      id: 'lanes.broken',
      method: 'get',
      path: '/lanes/broken',
      summary: 'Fails with an error of its own',
      scope: 'read',
      output: z.object({}),
      handler: () => {
        throw new Error('a detail that must not leave')
      },
    }),
  ],
})

interface Seen {
  status: number
  headers: Record<string, string>
  body: string
}

/** What may differ between two answers to the same request: its ids, its time, its remaining quota. */
function comparable(seen: Seen, requestId: string | null): Seen {
  const headers = { ...seen.headers }
  for (const name of ['x-request-id', 'date', 'connection', 'keep-alive', 'ratelimit', 'transfer-encoding', 'content-length']) delete headers[name]
  return { status: seen.status, headers, body: requestId ? seen.body.replaceAll(requestId, '<id>') : seen.body }
}

async function seen(res: Response): Promise<Seen> {
  const headers: Record<string, string> = {}
  res.headers.forEach((value, name) => (headers[name] = value))
  const cookies = res.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies.join(' | ')
  return { status: res.status, headers, body: await res.text() }
}

describe('REST served on Node directly and through Hono', () => {
  let server: TestServer
  let key: string
  const lines: Record<string, unknown>[] = []
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
    server = await startServer({ modules: [probe], logger })
    ;({ key } = await server.createOrg('Lanes'))
  })
  afterAll(() => server?.close())

  /** The same request to the listening server (Node's lane) and to the app's fetch (Hono's routes). */
  async function both(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) {
    const headers = { authorization: `Bearer ${key}`, ...init.headers }
    const node = await fetch(server.url + path, { method, headers, body: init.body })
    const hono = await server.portico.app.fetch(new Request(server.url + path, { method, headers, body: init.body }))
    const a = await seen(node)
    const b = await seen(hono)
    return { node: a, hono: b, same: () => expect(comparable(a, node.headers.get('x-request-id'))).toEqual(comparable(b, hono.headers.get('x-request-id'))) }
  }

  it.each([
    ['a path parameter and a query', 'GET', '/api/v1/lanes/items/it-1?q=a+b%20c&n=1&q=second', 200],
    ['a percent-escaped path parameter', 'GET', '/api/v1/lanes/items/a%20b', 200],
    ['bytes with a filename', 'GET', '/api/v1/lanes/file', 200],
    ['a refusal with its own headers', 'GET', '/api/v1/lanes/refuse', 409],
    ['an unknown path under the base', 'GET', '/api/v1/lanes/nowhere', 404],
    ['a method the path does not take', 'DELETE', '/api/v1/lanes/file', 405],
    ['HEAD of an operation', 'HEAD', '/api/v1/health', 200],
  ])('answers the same: %s', async (_, method, path, status) => {
    const { node, same } = await both(method, path)
    expect(node.status).toBe(status)
    same()
  })

  it('answers the same to a JSON body, an invalid body, and an Idempotency-Key replay', async () => {
    const json = { 'content-type': 'application/json' }
    const created = await both('POST', '/api/v1/lanes/items', { body: JSON.stringify({ name: 'x' }), headers: json })
    expect(created.node.status).toBe(201)
    created.same()
    const invalid = await both('POST', '/api/v1/lanes/items', { body: JSON.stringify({ name: '' }), headers: json })
    expect(invalid.node.status).toBe(400)
    expect(JSON.parse(invalid.node.body).error.code).toBe('validation_error')
    invalid.same()
    const notJson = await both('POST', '/api/v1/lanes/items', { body: '{', headers: json })
    expect(JSON.parse(notJson.node.body).error.code).toBe('invalid_json')
    notJson.same()
    const once = { ...json, 'idempotency-key': 'lanes-replay-1' }
    const first = await fetch(`${server.url}/api/v1/lanes/items`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...once }, body: JSON.stringify({ name: 'y' }) })
    expect(first.status).toBe(201)
    const replays = await both('POST', '/api/v1/lanes/items', { body: JSON.stringify({ name: 'y' }), headers: once })
    expect(replays.node.headers['idempotent-replayed']).toBe('true')
    replays.same()
  })

  it('writes a web Response a handler built as it is, its cookies included, with the request id and rate limits', async () => {
    const { node, same } = await both('GET', '/api/v1/lanes/own')
    expect(node).toMatchObject({ status: 202, body: 'its own body', headers: { 'x-own': 'yes', 'set-cookie': 'a=1 | b=2', 'x-content-type-options': 'nosniff' } })
    expect(node.headers['ratelimit-policy']).toContain('general')
    same()
  })

  it("a handler's own error is the same 500 envelope without its detail, logged with the request's ids", async () => {
    const { node, same } = await both('GET', '/api/v1/lanes/broken')
    expect(node.status).toBe(500)
    expect(node.body).not.toContain('must not leave')
    expect(node.headers['ratelimit-policy']).toContain('general')
    same()
    expect(lines.filter((l) => l.msg === 'unhandled error' && l.path === '/api/v1/lanes/broken')).toHaveLength(2)
  })

  it('every GET operation without path parameters answers the same either way, from the registry', async () => {
    const ops = server.portico.registry.all().filter((op) => op.method === 'get' && !op.path.includes('{'))
    expect(ops.length).toBeGreaterThan(10)
    for (const op of ops) {
      const { node, hono } = await both('GET', `/api/v1${op.path}`)
      expect({ id: op.id, status: node.status }).toEqual({ id: op.id, status: hono.status })
      expect(node.headers['content-type']).toBe(hono.headers['content-type'])
      expect(node.headers['cache-control']).toBe(hono.headers['cache-control'])
      expect(node.headers['x-frame-options']).toBe('DENY')
    }
  })

  it('leaves the routes a mount added under the base to Hono: the OpenAPI document keeps its own headers', async () => {
    const res = await fetch(`${server.url}/api/v1/openapi.json`)
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('x-request-id')).toMatch(/^req_/)
    expect((await res.json()).openapi).toMatch(/^3\./)
  })

  it('logs each answered request once, with its operation, status and key, never the key itself', async () => {
    lines.length = 0
    const res = await fetch(`${server.url}/api/v1/lanes/items/logged?q=1`, { headers: { authorization: `Bearer ${key}`, 'x-request-id': 'client-7' } })
    expect(res.status).toBe(200)
    const line = lines.find((l) => l.path === '/api/v1/lanes/items/logged')
    expect(line).toMatchObject({ op: 'lanes.item', status: 200, method: 'GET', correlation_id: 'client-7', ip: '127.0.0.1' })
    expect(line!.key_id).toEqual(expect.any(String))
    expect(line!.req_id).toMatch(/^req_[0-9a-f]{32}$/)
    expect(JSON.stringify(lines)).not.toContain(key)
  })
})
