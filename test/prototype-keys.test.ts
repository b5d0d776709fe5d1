import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServiceKey } from '../src/cli.js'
import { shippedModules } from '../examples/main.js'
import { engines, startServer, type TestServer } from './harness.js'

const ID = '00000000-0000-4000-8000-000000000000'

/**
 * `__proto__`, `constructor` and `prototype` are field names like any other: where the schema
 * forbids unknown keys they are 400 `validation_error` naming the field, never a 500, and nowhere
 * (records included, and over MCP) do they change what a request does.
 */
describe.each(engines)('prototype keys in JSON bodies (%s)', (engine) => {
  let server: TestServer
  let key: string
  let serviceKey: string
  beforeAll(async () => {
    server = await startServer({ engine, modules: await shippedModules(), env: { PORTICO_AUTH_FAILURES_PER_MINUTE: '100000' } })
    key = (await server.createOrg()).key
    serviceKey = (await createServiceKey(server.db.handle, server.config, 'Backend')).key
  })
  afterAll(() => server.close())

  const keyCount = async () => Number((await server.db.handle.db.selectFrom('api_keys').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
  const send = (method: string, path: string, raw: string, k = key) => server.api(method, path, { key: k, body: raw, headers: { 'content-type': 'application/json' } })

  it('every operation with a JSON body answers 400 naming the field, for each prototype key', async () => {
    const ops = server.portico.registry.all().filter((op) => op.body && op.bodyTypes.includes('json') && op.audience !== 'reseller')
    expect(ops.length).toBeGreaterThan(10)
    for (const op of ops) {
      for (const name of ['__proto__', 'constructor', 'prototype']) {
        const res = await send(op.method.toUpperCase(), op.path.replace(/\{\w+\}/g, ID), `{"${name}": {"x": 1}}`, op.audience === 'service' ? serviceKey : key)
        expect(res.status, `${op.id} ${name}: ${res.text}`).toBe(400)
        expect(res.body.error.code, op.id).toBe('validation_error')
        expect(res.body.error.fields, `${op.id} ${name}`).toHaveProperty([name])
      }
    }
  })

  it('a prototype key inside a record is refused, not dropped', async () => {
    const minted = (await server.api('POST', '/keys', { key, body: { name: 'limited' } })).body
    for (const raw of ['{"rate_limits":{"__proto__":{"limit":5,"window_seconds":60}}}', '{"rate_limits":{"constructor":{"limit":5,"window_seconds":60}}}']) {
      const res = await send('PATCH', `/keys/${minted.id}`, raw)
      expect(res.status, res.text).toBe(400)
      expect(res.body.error.code).toBe('validation_error')
    }
    expect((await server.api('GET', `/keys/${minted.id}`, { key })).body.rate_limits).toEqual({})
    // Nested deep in an array, too.
    const nested = await send('POST', '/documents', '{"title":"t","file_base64":"","recipients":[{"name":"a","email":"a@example.com","__proto__":{"role":"VIEWER"}}]}')
    expect(nested.status, nested.text).toBe(400)
    expect(nested.body.error.fields).toHaveProperty(['recipients[0].__proto__'])
  })

  it('over MCP, a __proto__ argument is refused and mints nothing', async () => {
    const before = await keyCount()
    const res = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"keys.create","arguments":{"name":"via mcp","__proto__":{"scopes":["read"]}}}}',
    })
    expect(res.status).toBe(200)
    const answer = (await res.json()) as { result: { isError?: boolean; content: { text: string }[] } }
    expect(answer.result.isError).toBe(true)
    const envelope = JSON.parse(answer.result.content[0]!.text)
    expect(envelope.error.code).toBe('validation_error')
    expect(envelope.error.fields).toHaveProperty(['__proto__'])
    expect(await keyCount()).toBe(before)
  })

  it('prototype names in a query string or a form are plain parameters', async () => {
    expect((await server.api('GET', '/keys?__proto__=1&constructor=2&prototype=3', { key })).status).toBe(200)
    const form = new FormData()
    form.append('title', 'x')
    form.append('__proto__[role]', 'x')
    const res = await server.api('POST', '/documents', { key, body: form })
    expect(res.status, res.text).toBe(400)
    expect(res.body.error.code).toBe('validation_error')
  })
})
