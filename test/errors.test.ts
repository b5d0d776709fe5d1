import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineModule, defineOperation, z } from '../src/index.js'
import { startServer, type TestServer } from './harness.js'

const METRICS_TOKEN = 'metrics-scraper-token-0123456789'

const boom = defineOperation({
  id: 'test.boom',
  method: 'get',
  path: '/test/boom',
  summary: 'Throws an unexpected error',
  scope: null,
  output: z.object({}),
  handler: async () => {
    throw new Error('secret internal detail at /srv/app.ts:42')
  },
})

const echo = defineOperation({
  id: 'test.echo',
  method: 'post',
  path: '/test/echo',
  summary: 'Echoes a validated body',
  scope: 'draft',
  body: z.object({ recipients: z.array(z.object({ name: z.string(), email: z.email() })).min(1) }),
  output: z.object({ count: z.number() }),
  handler: async (input) => ({ count: input.recipients.length }),
})

/** A page that allows framing by its own origin: its own header must win over the default. */
const framedPage = {
  method: 'get' as const,
  path: '/test/framed',
  handler: async () => new Response('<p>hi</p>', { headers: { 'content-type': 'text/html', 'x-frame-options': 'SAMEORIGIN' } }),
}

describe('one error envelope everywhere', () => {
  let server: TestServer
  let key: string
  beforeAll(async () => {
    server = await startServer({ modules: [defineModule({ name: 'test', operations: [boom, echo], pages: [framedPage] })], env: { PORTICO_METRICS_TOKEN: METRICS_TOKEN } })
    key = (await server.createOrg()).key
  })
  afterAll(() => server.close())

  const raw = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, init)

  it('405 with Allow for a known path and another method', async () => {
    const res = await server.api('PUT', '/keys', { key })
    expect(res.status).toBe(405)
    expect(res.body.error.code).toBe('method_not_allowed')
    expect(res.headers.get('allow')).toBe('POST, GET')
  })

  it('400 invalid_json for malformed JSON', async () => {
    const res = await server.api('POST', '/test/echo', { key, body: '{"recipients": [', headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('invalid_json')
  })

  it('400 validation_error names nested fields the PRODUCT.md way', async () => {
    const res = await server.api('POST', '/test/echo', { key, body: { recipients: [{ name: 'Ann' }] } })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatchObject({ code: 'validation_error', message: 'recipients[0].email is required', fields: { 'recipients[0].email': 'is required' } })
    const notObject = await server.api('POST', '/test/echo', { key, body: '[1,2]', headers: { 'content-type': 'application/json' } })
    expect(notObject.body.error.code).toBe('validation_error')
  })

  it('415 for a content type the operation does not take', async () => {
    const res = await server.api('POST', '/test/echo', { key, body: 'recipients=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(res.status).toBe(415)
    expect(res.body.error.code).toBe('unsupported_media_type')
  })

  it('413 for a JSON body over 1 MB, even when Content-Length is absent', async () => {
    const big = JSON.stringify({ recipients: [{ name: 'x'.repeat(1024 * 1024 + 10), email: 'a@b.co' }] })
    const res = await server.api('POST', '/test/echo', { key, body: big, headers: { 'content-type': 'application/json' } })
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('payload_too_large')
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big))
        controller.close()
      },
    })
    const chunked = await raw('/api/v1/test/echo', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(chunked.status).toBe(413)
  })

  it('500 internal_error with a request id and no stack or detail', async () => {
    const res = await server.api('GET', '/test/boom', { key })
    expect(res.status).toBe(500)
    expect(res.body.error.code).toBe('internal_error')
    expect(res.body.error.request_id).toBe(res.headers.get('x-request-id'))
    expect(res.text).not.toMatch(/secret|srv|\.ts|at /)
  })

  it('keeps a well-formed client X-Request-Id and replaces a bad one', async () => {
    const kept = await server.api('GET', '/health', { key, headers: { 'x-request-id': 'trace-abc.123_X' } })
    expect(kept.headers.get('x-request-id')).toBe('trace-abc.123_X')
    const replaced = await server.api('GET', '/nope', { headers: { 'x-request-id': 'bad id with spaces' } })
    expect(replaced.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/)
    expect(replaced.body.error.request_id).toBe(replaced.headers.get('x-request-id'))
  })

  it('answers JSON 404 for unknown paths outside the API too, with the security headers', async () => {
    const res = await raw('/definitely/not/here')
    expect(res.status).toBe(404)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-request-id')).toMatch(/^req_/)
    expect((await res.json()).error.code).toBe('not_found')
  })

  it('adds the default headers once to a raw page Response, which keeps its own values', async () => {
    const res = await raw('/test/framed')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/)
    expect(await res.text()).toBe('<p>hi</p>')
  })

  it('sends rate-limit, cache and request-id headers once each on an operation answer and on a 500', async () => {
    const ok = await server.api('POST', '/test/echo', { key, body: { recipients: [{ name: 'Ann', email: 'ann@example.com' }] } })
    expect(ok.status).toBe(201)
    for (const name of ['ratelimit', 'ratelimit-policy', 'cache-control', 'x-request-id']) expect(ok.headers.get(name), name).not.toContain(',')
    expect(ok.headers.get('cache-control')).toBe('no-store')
    const failed = await server.api('GET', '/test/boom', { key })
    expect(failed.status).toBe(500)
    expect(failed.headers.get('ratelimit')).toMatch(/^"general";r=\d+;t=\d+$/)
    expect(failed.headers.get('x-request-id')).toBe(failed.body.error.request_id)
  })

  it('serves probes', async () => {
    expect((await raw('/healthz')).status).toBe(200)
    const ready = await raw('/readyz')
    expect(ready.status).toBe(200)
    expect((await ready.json()).checks.database).toBe('ok')
    const metrics = await (await raw('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text()
    expect(metrics).toContain('portico_http_requests_total')
  })
})
