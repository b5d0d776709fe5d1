import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { jwtVerify } from 'jose'
import { pino } from 'pino'
import { Webhook } from 'standardwebhooks'
import { Agent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReseller } from '../../src/cli.js'
import { callTool } from '../security/doorways.js'
import { engines, startServer, type TestServer } from '../harness.js'
import { startKb, type KbUpstream } from './kb-upstream.js'
import { startReceiver, waitFor } from '../webhook-receiver.js'

const root = path.resolve(import.meta.dirname, '../..')
const SECRET = 'kb-test-secret-0123456789-abcdefghijklmnop'
const exampleDoc = path.join(root, 'examples/kb/kb-openapi.json')

/** A port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A server that takes connections and never answers them. */
async function silentServer(): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    close() {
      for (const s of sockets) s.destroy()
      server.close()
    },
  }
}

let silent: Awaited<ReturnType<typeof silentServer>> | undefined

/** The example's upstreams file, pointed at the running service, plus two upstreams that fail. */
async function upstreamsFile(kb: KbUpstream): Promise<string> {
  silent = await silentServer()
  const example = JSON.parse(fs.readFileSync(path.join(root, 'examples/kb/portico.upstreams.json'), 'utf8'))
  const [entry] = example.upstreams
  const dead = await closedPort()
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'portico-gateway-')), 'upstreams.json')
  fs.writeFileSync(
    file,
    JSON.stringify({
      upstreams: [
        { ...entry, url: kb.url, openapi: exampleDoc },
        { name: 'dead', url: `http://127.0.0.1:${dead}`, secret_env: 'PORTICO_KB_SECRET', operations: [{ id: 'dead.ping', method: 'get', path: '/dead/ping', summary: 'Nothing answers' }] },
        {
          name: 'slow',
          url: `http://127.0.0.1:${silent.port}`,
          secret_env: 'PORTICO_KB_SECRET',
          timeout_ms: 300,
          operations: [{ id: 'slow.export', method: 'get', path: '/slow/export', upstream_path: '/v1/export', summary: 'Answers late' }],
        },
      ],
    }),
  )
  return file
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe.each(engines)('gateway in front of the Python knowledge base (%s)', (engine) => {
  let kb: KbUpstream
  let server: TestServer
  let orgId: string
  let key: string
  let reader: string
  let readerId: string
  /** The server's request log, line by line. */
  const logLines: Record<string, unknown>[] = []

  beforeAll(async () => {
    kb = await startKb(SECRET)
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) })
    server = await startServer({ engine, logger, env: { PORTICO_UPSTREAMS: await upstreamsFile(kb), PORTICO_KB_SECRET: SECRET } })
    ;({ orgId, key } = await server.createOrg('Gateway org'))
    const minted = (await server.api('POST', '/keys', { key, body: { name: 'reader', scopes: ['read'] } })).body
    reader = minted.key
    readerId = minted.id
  }, 30_000)

  afterAll(async () => {
    await server?.close()
    await kb?.stop()
    silent?.close()
  })

  it('forwards with identity headers and a JWT that the upstream (hmac) and jose both verify', async () => {
    const body = JSON.stringify({ title: 'Refunds', text: 'Refunds take five business days. Shipping is free over 50 euros.' })
    const res = await fetch(`${server.url}/api/v1/kb/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'user-agent': 'gateway-test/1.0', accept: 'application/json', 'x-request-id': 'req-gateway-1' },
      body,
    })
    // 201 is the upstream's own answer: it verified the token with its standard library first.
    expect(res.status).toBe(201)
    expect(res.headers.get('x-request-id')).toBe('req-gateway-1')
    expect(res.headers.get('ratelimit')).toMatch(/"general";r=\d+;t=\d+/)
    expect(res.headers.get('server')).toMatch(/^kb\//)
    const created = await res.json()
    expect(created).toMatchObject({ title: 'Refunds' })

    const seen = (await kb.seen()).at(-1)!
    expect(seen).toMatchObject({ method: 'POST', path: '/v1/documents', body })
    const keyRow = (await server.api('GET', '/health', { key })).body.key
    expect(seen.headers).toMatchObject({
      'portico-org-id': orgId,
      'portico-key-id': keyRow.id,
      'portico-key-scopes': 'read draft actions admin',
      'portico-request-id': 'req-gateway-1',
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': 'gateway-test/1.0',
    })
    expect(seen.headers['portico-org-external-id']).toBeUndefined()
    const { payload, protectedHeader } = await jwtVerify(seen.headers['portico-identity']!, new TextEncoder().encode(SECRET), { issuer: 'portico', audience: 'kb' })
    expect(protectedHeader.alg).toBe('HS256')
    expect(payload).toMatchObject({
      org_id: orgId,
      org_external_id: null,
      key_id: keyRow.id,
      scopes: ['read', 'draft', 'actions', 'admin'],
      meta: {},
      request_id: 'req-gateway-1',
      method: 'POST',
      path: '/v1/documents',
      body_sha256: sha256(body),
    })
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60)

    // The same token on another body is refused by the upstream's own check.
    const replayed = await fetch(`${kb.url}/v1/documents`, {
      method: 'POST',
      headers: { 'portico-identity': seen.headers['portico-identity']!, 'content-type': 'application/json' },
      body: body.replace('five', 'two'),
    })
    expect(replayed.status).toBe(401)
    expect(await replayed.text()).toContain('body does not match')
  })

  it("an organisation a reseller provisioned reaches the upstream with its external id, and the key's metadata is in the identity", async () => {
    const { key: resellerKey } = await createReseller(server.db.handle, server.config, 'Gateway reseller')
    const org = await server.api('POST', '/reseller/organizations', { key: resellerKey, body: { name: 'Customer 42', external_id: 'cust_42' } })
    const minted = await server.api('POST', `/reseller/organizations/${org.body.id}/keys`, { key: resellerKey, body: { name: 'k', scopes: ['read'], meta: { plan: 'pro' } } })
    expect((await server.api('GET', '/kb/documents', { key: minted.body.key })).status).toBe(200)
    const seen = (await kb.seen()).at(-1)!
    expect(seen.headers['portico-org-id']).toBe(org.body.id)
    expect(seen.headers['portico-org-external-id']).toBe('cust_42')
    const { payload } = await jwtVerify(seen.headers['portico-identity']!, new TextEncoder().encode(SECRET), { issuer: 'portico', audience: 'kb' })
    expect(payload).toMatchObject({ org_id: org.body.id, org_external_id: 'cust_42', scopes: ['read'], meta: { plan: 'pro' }, path: '/v1/documents', method: 'GET' })

    // A change to the key (its metadata) is in the very next identity: nothing of the old one is kept.
    const admin = await server.api('POST', `/reseller/organizations/${org.body.id}/keys`, { key: resellerKey, body: { name: 'admin', scopes: ['admin'] } })
    const updated = await server.api('PATCH', `/keys/${minted.body.id}`, { key: admin.body.key, body: { meta: { plan: 'team', seats: 5 } } })
    expect(updated.status, JSON.stringify(updated.body)).toBe(200)
    expect((await server.api('GET', '/kb/documents', { key: minted.body.key })).status).toBe(200)
    const next = await jwtVerify((await kb.seen()).at(-1)!.headers['portico-identity']!, new TextEncoder().encode(SECRET), { issuer: 'portico', audience: 'kb' })
    expect(next.payload).toMatchObject({ org_id: org.body.id, org_external_id: 'cust_42', key_id: minted.body.id, meta: { plan: 'team', seats: 5 } })
  })

  it('answers a query through Portico, and the query string and path parameters reach the upstream', async () => {
    const res = await server.api('POST', '/query', { key: reader, body: { question: 'How long do refunds take?' } })
    expect(res.status).toBe(200)
    expect(res.body.answer).toBe('Refunds take five business days.')
    const id = res.body.sources[0].id
    const doc = await server.api('GET', `/kb/documents/${id}`, { key: reader })
    expect(doc.status).toBe(200)
    expect((await kb.seen()).at(-1)!.path).toBe(`/v1/documents/${id}`)
    // A path parameter checked against the upstream's schema (format: uuid) before forwarding.
    const count = (await kb.seen()).length
    const bad = await server.api('GET', '/kb/documents/not-a-uuid', { key: reader })
    expect(bad.status).toBe(400)
    expect(bad.body.error.fields).toEqual({ document_id: expect.stringContaining('uuid') })
    const exported = await fetch(`${server.url}/api/v1/kb/export?delay_ms=0`, { headers: { authorization: `Bearer ${reader}` } })
    expect(exported.status).toBe(200)
    await exported.text()
    expect((await kb.seen()).slice(count).map((r) => r.path)).toEqual(['/v1/export?delay_ms=0'])
  })

  it("passes the upstream's own refusal through unchanged, with Portico's headers, and logs its status", async () => {
    const missing = '00000000-0000-4000-8000-000000000000'
    const res = await fetch(`${server.url}/api/v1/kb/documents/${missing}`, { headers: { authorization: `Bearer ${reader}` } })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'Document not found', request_id: expect.stringMatching(/^req_/) } })
    const requestId = res.headers.get('x-request-id')
    expect(requestId).toMatch(/^req_/)
    expect(res.headers.get('ratelimit')).toBeTruthy()
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    const line = logLines.find((l) => l.req_id === requestId)
    expect(line).toMatchObject({ status: 404, path: `/api/v1/kb/documents/${missing}` })
    expect(line!.op).toMatch(/kb/)
  })

  it("never forwards the client's credentials or cookies, hop-by-hop headers, nor Portico-* headers it made up", async () => {
    // node:http, which sends a Connection header naming another one as a client may.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${server.url}/api/v1/kb/documents`, {
        headers: {
          'x-api-key': key,
          cookie: 'portico_session=abc; other=1',
          'portico-org-id': '00000000-0000-0000-0000-000000000000',
          'portico-identity': 'forged',
          connection: 'keep-alive, x-hop',
          'x-hop': 'dropped',
          te: 'trailers',
          'x-custom': 'kept',
        },
      })
      req.on('response', (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode!))
      })
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(200)
    const seen = (await kb.seen()).at(-1)!.headers
    expect(seen.authorization).toBeUndefined()
    expect(seen['x-api-key']).toBeUndefined()
    expect(seen.cookie).toBeUndefined()
    expect(seen['x-hop']).toBeUndefined()
    expect(seen.te).toBeUndefined()
    expect(seen['x-custom']).toBe('kept')
    expect(seen['portico-org-id']).toBe(orgId)
    expect(seen['portico-identity']).not.toBe('forged')
    expect(JSON.stringify(seen)).not.toContain(key)
  })

  it('no key, a wrong scope, an invalid body or a wrong content type never reach the upstream', async () => {
    const before = (await kb.seen()).length
    const none = await server.api('POST', '/query', { body: { question: 'refunds?' } })
    expect(none.status).toBe(401)
    expect(none.body.error.code).toBe('missing_api_key')
    const scope = await server.api('POST', '/kb/documents', { key: reader, body: { title: 'x', text: 'y' } })
    expect(scope.status).toBe(403)
    expect(scope.body.error.code).toBe('insufficient_scope')
    expect(scope.body.error.message).toContain('"draft"')
    const invalid = await server.api('POST', '/kb/documents', { key, body: { title: '', extra: 1 } })
    expect(invalid.status).toBe(400)
    expect(invalid.body.error).toMatchObject({ code: 'validation_error', fields: { title: expect.any(String), text: 'is required', extra: 'is not a known field' } })
    const long = await server.api('POST', '/query', { key, body: { question: 'x'.repeat(2001) } })
    expect(long.status).toBe(400)
    expect(long.body.error.fields).toHaveProperty('question')
    const json = await server.api('POST', '/query', { key, body: '{"question":', headers: { 'content-type': 'application/json' } })
    expect(json.body.error.code).toBe('invalid_json')
    const media = await server.api('POST', '/query', { key, body: 'question=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(media.status).toBe(415)
    // Its own connection: refused before its body is read, it is closed after the answer.
    const big = await fetch(`${server.url}/api/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'x'.repeat(1024 * 1024) }),
      dispatcher: new Agent(),
    } as RequestInit)
    expect(big.status).toBe(413)
    const query = await server.api('GET', '/kb/export?delay_ms=soon', { key })
    expect(query.status).toBe(400)
    expect(query.body.error.fields).toHaveProperty('delay_ms')
    expect((await kb.seen()).length).toBe(before)
  })

  it('a refused connection is 502 upstream_unavailable and a late answer 504 upstream_timeout, naming no address', async () => {
    const dead = await server.api('GET', '/dead/ping', { key })
    expect(dead.status).toBe(502)
    expect(dead.body.error.code).toBe('upstream_unavailable')
    expect(dead.headers.get('x-request-id')).toBe(dead.body.error.request_id)
    const started = Date.now()
    const slow = await server.api('GET', '/slow/export', { key })
    expect(slow.status).toBe(504)
    expect(slow.body.error.code).toBe('upstream_timeout')
    expect(Date.now() - started).toBeLessThan(2500)
    for (const answer of [dead, slow]) {
      expect(answer.text).not.toMatch(/127\.0\.0\.1|localhost|:\d{4,5}\b/)
      expect(answer.text).not.toContain(String(silent!.port))
    }
  })

  it('streams a slow chunked answer: the first line arrives long before the upstream finishes', async () => {
    const started = performance.now()
    const res = await fetch(`${server.url}/api/v1/kb/export?delay_ms=250`, { headers: { authorization: `Bearer ${reader}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/x-ndjson')
    const reader_ = res.body!.getReader()
    const arrivals: { at: number; text: string }[] = []
    for (;;) {
      const { done, value } = await reader_.read()
      if (done) break
      arrivals.push({ at: performance.now() - started, text: new TextDecoder().decode(value) })
    }
    const text = arrivals.map((a) => a.text).join('')
    expect(text.trim().split('\n').at(-1)).toBe('{"type": "end"}')
    const finished = arrivals.at(-1)!.at
    // The start line, then a pause before each of the other lines: the first arrives while the service still writes.
    const lines = text.trim().split('\n').length
    expect(finished).toBeGreaterThan(250 * (lines - 1))
    expect(arrivals[0]!.text).toContain('"start"')
    expect(arrivals[0]!.at).toBeLessThan(finished - 200 * (lines - 1))
  })

  it('an MCP tool call reaches the upstream with the same checks', async () => {
    const list = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    const tools = (await list.json()).result.tools as { name: string; inputSchema: any }[]
    const query = tools.find((t) => t.name === 'kb_query')!
    expect(query.inputSchema).toMatchObject({ type: 'object', required: ['question'], properties: { question: { type: 'string', maxLength: 2000 } } })
    expect(tools.map((t) => t.name)).not.toContain('kb_index_document')

    const before = (await kb.seen()).length
    const call = await callTool(server.url, reader, 'kb_query', { question: 'Is shipping free?' })
    expect(call.json.result.isError).toBeFalsy()
    expect(call.json.result.content[0].text).toContain('Shipping is free')
    const seen = (await kb.seen()).slice(before)
    expect(seen.map((r) => [r.method, r.path])).toEqual([['POST', '/v1/query']])
    expect(JSON.parse(seen[0]!.body)).toEqual({ question: 'Is shipping free?' })

    const refused = await callTool(server.url, reader, 'kb_index_document', { title: 'x', text: 'y' })
    expect(refused.json.result.isError).toBe(true)
    expect(JSON.parse(refused.json.result.content[0].text).error.code).toBe('insufficient_scope')
    const invalid = await callTool(server.url, reader, 'kb_query', {})
    expect(JSON.parse(invalid.json.result.content[0].text).error).toMatchObject({ code: 'validation_error', fields: { question: 'is required' } })
    expect((await kb.seen()).length).toBe(before + 1)
  })

  it('an Idempotency-Key replays the first answer without a second upstream call', async () => {
    const before = (await kb.seen()).length
    const send = (text: string) =>
      server.api('POST', '/kb/documents', { key, body: { title: 'Returns', text }, headers: { 'idempotency-key': `idem-${engine}` } })
    const first = await send('Returns are accepted within thirty days.')
    expect(first.status).toBe(201)
    const again = await send('Returns are accepted within thirty days.')
    expect(again.status).toBe(201)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.body).toEqual(first.body)
    const other = await send('Another body.')
    expect(other.status).toBe(409)
    expect(other.body.error.code).toBe('idempotency_key_reused')
    expect((await kb.seen()).length).toBe(before + 1)
  })

  it('gateway operations are in the catalog, the OpenAPI document (schemas, webhooks) and usage', async () => {
    const catalog = (await server.api('GET', '/catalog', { key: reader })).body.data
    expect(catalog).toContainEqual(expect.objectContaining({ id: 'kb.query', method: 'POST', path: '/api/v1/query', scope: 'read', summary: 'Ask the knowledge base a question', callable: true }))
    expect(catalog).toContainEqual(expect.objectContaining({ id: 'kb.index_document', scope: 'draft', callable: false }))
    const doc = (await server.api('GET', '/openapi.json')).body
    const query = doc.paths['/query'].post
    expect(query.operationId).toBe('kb.query')
    expect(query.requestBody.content['application/json'].schema).toMatchObject({ required: ['question'], properties: { question: { maxLength: 2000 } } })
    expect(Object.keys(query.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '429', '502', '504']))
    expect(doc.paths['/kb/documents/{document_id}'].get.parameters).toContainEqual(expect.objectContaining({ name: 'document_id', in: 'path', schema: { type: 'string', format: 'uuid' } }))
    expect(doc.paths['/kb/export'].get.parameters).toContainEqual(expect.objectContaining({ name: 'delay_ms', in: 'query' }))
    expect(doc.webhooks['kb.document_indexed']).toBeDefined()
    expect(doc.tags).toContainEqual(expect.objectContaining({ name: 'kb' }))
    const hook = await server.api('POST', '/webhooks', { key, body: { url: 'http://127.0.0.1:9/hook', events: ['kb.document_indexed'] } })
    expect(hook.status).toBe(201)

    await server.portico.flushUsage()
    const usage = (await server.api('GET', `/usage?key_id=${readerId}`, { key })).body.data as { key_id: string; outcome: string; count: number }[]
    expect(usage.find((r) => r.outcome === '2xx')!.count).toBeGreaterThanOrEqual(4)
    expect(usage.find((r) => r.outcome === '4xx')!.count).toBeGreaterThanOrEqual(1)
  })
})

describe('a bad upstreams file', () => {
  it('stops the start with one line naming the file, the upstream and the problem', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'portico-gateway-bad-')), 'upstreams.json')
    fs.writeFileSync(file, JSON.stringify({ upstreams: [{ name: 'kb', url: 'http://127.0.0.1:8000', secret_env: 'PORTICO_KB_SECRET', openapi: './missing.json' }] }))
    const run = spawnSync(process.execPath, ['bin/portico.mjs', 'start'], {
      cwd: root,
      env: { ...process.env, PORT: '0', DATABASE_URL: `file:${path.join(path.dirname(file), 'portico.db')}`, PORTICO_UPSTREAMS: file, PORTICO_KB_SECRET: SECRET },
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(run.status).toBe(78)
    expect(run.stdout).toBe('')
    expect(run.stderr.trim().split('\n')).toEqual([`portico: bad configuration: PORTICO_UPSTREAMS: ${file}: upstream "kb": cannot read its OpenAPI document ./missing.json (ENOENT)`])
  })
})

describe.each(engines)("the upstream's own events, sent by the Python service with a service key (%s)", (engine) => {
  let kb: KbUpstream | undefined
  let server: TestServer

  afterAll(async () => {
    await kb?.stop()
    await server?.close()
  })

  it('indexing a document through Portico makes the service post kb.document_indexed, delivered signed to the webhook', async () => {
    // Portico needs the service's address before it starts, and the service Portico's: a port is picked first.
    const port = await closedPort()
    const example = JSON.parse(fs.readFileSync(path.join(root, 'examples/kb/portico.upstreams.json'), 'utf8'))
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'portico-gateway-events-')), 'upstreams.json')
    fs.writeFileSync(file, JSON.stringify({ upstreams: [{ ...example.upstreams[0], url: `http://127.0.0.1:${port}`, openapi: exampleDoc }] }))
    server = await startServer({ engine, startBackground: true, env: { PORTICO_UPSTREAMS: file, PORTICO_KB_SECRET: SECRET } })
    const created = spawnSync(process.execPath, ['bin/portico.mjs', 'service-key', 'create', '--name', 'kb'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: server.db.url, LOG_LEVEL: 'warn', ...server.db.childEnv },
      encoding: 'utf8',
      timeout: 60_000,
    })
    const serviceKey = /psk_[0-9A-Za-z]{48}/.exec(created.stdout)?.[0]
    expect(serviceKey, created.stderr).toBeTruthy()
    kb = await startKb(SECRET, { KB_PORT: String(port), PORTICO_URL: server.url, PORTICO_SERVICE_KEY: serviceKey! })

    // Listed under the organisation's own key: the service posted it for that organisation.
    const { key } = await server.createOrg('Events org')
    const receiver = await startReceiver()
    try {
      const hook = await server.api('POST', '/webhooks', { key, body: { url: receiver.url, events: ['kb.document_indexed'] } })
      expect(hook.status, hook.text).toBe(201)
      const indexed = await server.api('POST', '/kb/documents', { key, body: { title: 'Returns', text: 'Returns are free within 30 days.' } })
      expect(indexed.status, indexed.text).toBe(201)

      await waitFor(() => receiver.received.length > 0, 15_000)
      const delivery = receiver.received[0]!
      const payload = new Webhook(hook.body.secret).verify(delivery.body, delivery.headers) as { type: string; org_id?: string; data: unknown }
      expect(payload).toMatchObject({ type: 'kb.document_indexed', data: { id: indexed.body.id, title: 'Returns' } })
      const events = await server.api('GET', '/events?type=kb.document_indexed', { key })
      expect(events.body.data).toEqual([expect.objectContaining({ object: 'event', type: 'kb.document_indexed', data: { id: indexed.body.id, title: 'Returns' } })])
    } finally {
      await receiver.close()
    }
  }, 90_000)
})
