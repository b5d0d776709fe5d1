import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makePdf } from '../../test/pdf-fixture.js'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { defineModule } from '../core/module.js'
import { defineOperation } from '../core/operation.js'
import { z } from '../core/schema.js'
import { TOOL_NAME, toolNameOf } from './tool-names.js'
import { shippedModules } from '../../examples/main.js'

/** Operations declared here and nowhere in src/mcp: they must still become tools. */
const probeModule = defineModule({
  name: 'probe',
  operations: [
    defineOperation({
      id: 'probe.fail',
      method: 'get',
      path: '/probe/fail',
      summary: 'Fails with an unexpected error',
      scope: 'read',
      output: z.object({}),
      handler: async () => {
        throw new Error('connection to postgres://admin:hunter2@db failed')
      },
    }),
    defineOperation({
      id: 'probe.letters',
      method: 'get',
      path: '/probe/letters',
      summary: 'Answers a bare list',
      scope: 'read',
      output: z.array(z.string()),
      handler: async () => ['a', 'b'],
    }),
  ],
})

const USER_AGENT = 'portico-mcp-test/1.0'

interface Connection {
  client: Client
  /** Every HTTP exchange the SDK client made, in order. */
  exchanges: { method: string; status: number; headers: Headers }[]
}

async function connect(server: TestServer, key: string, headers: Record<string, string> = {}): Promise<Connection> {
  const exchanges: Connection['exchanges'] = []
  const client = new Client({ name: 'portico-test', version: '1.0.0' })
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${key}`, 'user-agent': USER_AGENT, ...headers } },
    fetch: async (url, init) => {
      const res = await fetch(url, init)
      exchanges.push({ method: init?.method ?? 'GET', status: res.status, headers: res.headers })
      return res
    },
  })
  await client.connect(transport)
  return { client, exchanges }
}

type ToolResult = Awaited<ReturnType<Client['callTool']>>
const envelope = (result: ToolResult) => JSON.parse((result.content as { text: string }[])[0]!.text).error

/** A raw JSON-RPC request, for what the SDK client does not let a test send. */
function rpc(server: TestServer, headers: Record<string, string>, body: unknown = { jsonrpc: '2.0', id: 1, method: 'tools/list' }) {
  return fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  })
}

describe.each(engines)('MCP doorway (%s)', (engine) => {
  let server: TestServer
  let admin: string
  let reader: { id: string; key: string }
  let actor: { id: string; key: string }
  let pdf: string

  beforeAll(async () => {
    server = await startServer({
      engine,
      modules: [...(await shippedModules()), probeModule],
      env: { PORTICO_MCP_ALLOWED_ORIGINS: 'https://assistant.example' },
    })
    admin = (await server.createOrg()).key
    reader = (await server.api('POST', '/keys', { key: admin, body: { name: 'assistant', scopes: ['read'] } })).body
    actor = (await server.api('POST', '/keys', { key: admin, body: { name: 'actions', scopes: ['read', 'actions'] } })).body
    pdf = Buffer.from(await makePdf(1)).toString('base64')
  })
  afterAll(() => server.close())

  it('lists only what a read key may call: no write tools', async () => {
    const { client } = await connect(server, reader.key)
    const { tools } = await client.listTools()
    const names = tools.map((t) => t.name)
    expect(names).toEqual(expect.arrayContaining(['platform_health', 'documents_list', 'documents_file', 'events_list', 'probe_letters']))
    for (const write of ['keys_create', 'documents_create', 'documents_delete', 'documents_send']) expect(names).not.toContain(write)
    for (const tool of tools) expect(tool.annotations, tool.name).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false })
    await client.close()
  })

  it('names every tool as every client accepts, calls them by those names, and explains the product and scopes', async () => {
    const { client } = await connect(server, admin)
    const { tools } = await client.listTools()
    expect(tools.length).toBeGreaterThan(20)
    for (const tool of tools) {
      expect(tool.name).toMatch(TOOL_NAME)
      expect(tool.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/)
      expect(tool.description ?? '', tool.name).not.toMatch(/multipart/i)
    }
    const instructions = client.getInstructions() ?? ''
    for (const scope of ['read', 'draft', 'actions', 'admin']) expect(instructions).toContain(`\`${scope}\``)
    expect(instructions).toMatch(/organisation/)
    // Each operation's output is the tool's outputSchema; the SDK client checks structuredContent against it.
    const byName = new Map(tools.map((t) => [t.name, t]))
    expect(byName.get('documents_list')!.outputSchema).toMatchObject({ type: 'object' })
    expect(byName.get('documents_file')!.outputSchema).toBeUndefined()
    expect(byName.get('documents_create')!.description).toMatch(/file_base64/)
    for (const name of ['platform_health', 'documents_list', 'keys_list', 'webhooks_list', 'events_list', 'platform_catalog']) {
      if (!byName.has(name)) continue
      const result = await client.callTool({ name, arguments: {} })
      expect(result.isError, `${name}: ${JSON.stringify(result.content)}`).toBeFalsy()
      expect(result.structuredContent, name).toBeDefined()
    }
    const created = await client.callTool({ name: 'documents_create', arguments: { title: 'By tool name', file_base64: pdf } })
    expect(created.isError, JSON.stringify(created.content)).toBeFalsy()
    expect((created.structuredContent as { status: string }).status).toBe('DRAFT')
    await client.close()
  })

  it('lists the write tools an actions key may call, annotated', async () => {
    const { client } = await connect(server, actor.key)
    const { tools } = await client.listTools()
    const byName = new Map(tools.map((t) => [t.name, t]))
    expect(byName.get('documents_delete')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true })
    expect(byName.get('documents_send')!.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false })
    expect(byName.has('templates_generate')).toBe(true)
    // Scopes are independent labels: `actions` does not bring `draft` or `admin`.
    expect(byName.has('documents_create')).toBe(false)
    expect(byName.has('keys_create')).toBe(false)
    await client.close()
  })

  it('derives every tool from the registry, with merged input schemas and the reference descriptions', async () => {
    const { client } = await connect(server, admin)
    const { tools } = await client.listTools()
    const { portico } = server
    const principal = { kind: 'org_key', orgId: '', keyId: '', keyPrefix: '', keyName: '', scopes: ['read', 'draft', 'actions', 'admin'], keyExpiresAt: null } as const
    const callable = portico.registry.all().filter((op) => portico.executor.isCallable(op, principal))
    expect(tools.map((t) => t.name).sort()).toEqual(callable.map((op) => toolNameOf(op)).sort())
    expect(tools.map((t) => t.name)).toContain('probe_fail')
    // Reseller operations are for reseller keys only.
    expect(tools.some((t) => t.name.startsWith('reseller_'))).toBe(false)

    const byName = new Map(tools.map((t) => [t.name, t]))
    const update = byName.get('keys_update')!
    expect(Object.keys(update.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['id', 'name', 'scopes', 'rate_limits']))
    expect(update.inputSchema.required).toEqual(['id'])
    expect(update.description).toContain(portico.registry.get('keys.update')!.summary)
    const deliveries = byName.get('webhooks_deliveries')!.inputSchema.properties ?? {}
    expect(Object.keys(deliveries)).toEqual(expect.arrayContaining(['id', 'limit', 'cursor', 'status']))
    // A file part only multipart can carry is left out; its JSON alternative keeps its description.
    const upload = byName.get('documents_create')!.inputSchema.properties as Record<string, { description?: string }>
    expect(upload).not.toHaveProperty('file')
    expect(upload.file_base64!.description).toMatch(/base64/)
    await client.close()
  })

  it('calls read and write tools through the same handlers, audit and isolation as REST', async () => {
    const { client } = await connect(server, admin)
    const created = await client.callTool({ name: 'documents_create', arguments: { title: 'NDA via MCP', file_base64: pdf, recipients: [{ name: 'Ada', email: 'ada@example.com' }] } })
    expect(created.isError).toBeFalsy()
    const doc = created.structuredContent as { id: string; status: string }
    expect(doc.status).toBe('DRAFT')
    expect(JSON.parse((created.content as { text: string }[])[0]!.text)).toEqual(doc)

    const read = await client.callTool({ name: 'documents_get', arguments: { id: doc.id } })
    expect((read.structuredContent as { title: string }).title).toBe('NDA via MCP')
    expect((await server.api('GET', `/documents/${doc.id}`, { key: admin })).body.title).toBe('NDA via MCP')

    // A file answer: the bytes REST serves, embedded, under the REST address that serves them.
    const file = await client.callTool({ name: 'documents_file', arguments: { id: doc.id } })
    expect(file.isError).toBeFalsy()
    const content = file.content as [{ type: 'text'; text: string }, { type: 'resource'; resource: { uri: string; mimeType: string; blob: string } }]
    expect(content[0].text).toContain('application/pdf')
    expect(content[1].resource).toMatchObject({ uri: `${server.url}/api/v1/documents/${doc.id}/file`, mimeType: 'application/pdf' })
    const rest = await fetch(content[1].resource.uri, { headers: { authorization: `Bearer ${admin}` } })
    expect(Buffer.from(content[1].resource.blob, 'base64').equals(Buffer.from(await rest.arrayBuffer()))).toBe(true)

    const minted = await client.callTool({ name: 'keys_create', arguments: { name: 'made by assistant', scopes: ['read'] } })
    const key = minted.structuredContent as { id: string; key: string }
    expect(key.key).toMatch(/^ptk_/)
    const audit = await server.api('GET', '/audit-log?action=api_key.created', { key: admin })
    const entry = audit.body.data.find((e: { target: { id: string } }) => e.target.id === key.id)
    expect(entry).toMatchObject({ ip: '127.0.0.1', user_agent: USER_AGENT, actor: { type: 'org_key' } })
    expect(entry.request_id).toMatch(/^req_/)

    // An actions key deletes it; the document is gone for REST too.
    const acting = await connect(server, actor.key)
    const deleted = await acting.client.callTool({ name: 'documents_delete', arguments: { id: doc.id } })
    expect(deleted.isError).toBeFalsy()
    expect((await server.api('GET', `/documents/${doc.id}`, { key: admin })).status).toBe(404)
    await acting.client.close()
    await client.close()
  })

  it('honours idempotency_key as REST honours Idempotency-Key: one mint, a replay without the secret, 409 on other arguments', async () => {
    const { client } = await connect(server, admin)
    const { tools } = await client.listTools()
    const schema = tools.find((t) => t.name === 'keys_create')!.inputSchema.properties as Record<string, { type?: string }>
    expect(schema.idempotency_key).toMatchObject({ type: 'string' })
    expect((tools.find((t) => t.name === 'documents_get')!.inputSchema.properties as object)).not.toHaveProperty('idempotency_key')

    const args = { name: 'minted once', scopes: ['read'], idempotency_key: 'mcp-mint-1' }
    const first = await client.callTool({ name: 'keys_create', arguments: args })
    const minted = first.structuredContent as { id: string; key: string | null }
    expect(minted.key).toMatch(/^ptk_/)
    const again = await client.callTool({ name: 'keys_create', arguments: args })
    expect(again.isError).toBeFalsy()
    expect(again.structuredContent).toMatchObject({ id: minted.id, key: null })
    expect(JSON.stringify(again.content)).not.toContain(minted.key!)
    const listed = (await server.api('GET', '/keys?limit=100', { key: admin })).body.data.filter((k: { name: string }) => k.name === 'minted once')
    expect(listed).toHaveLength(1)

    const reused = await client.callTool({ name: 'keys_create', arguments: { ...args, name: 'something else' } })
    expect(envelope(reused).code).toBe('idempotency_key_reused')
    expect(envelope(await client.callTool({ name: 'keys_create', arguments: { ...args, idempotency_key: 'not valid\n' } })).fields).toHaveProperty('Idempotency-Key')
    await client.close()
  })

  it('answers errors as tool results carrying the REST envelope', async () => {
    const { client } = await connect(server, admin)
    const invalid = await client.callTool({ name: 'keys_create', arguments: { name: '' } })
    expect(invalid.isError).toBe(true)
    expect(envelope(invalid)).toMatchObject({ code: 'validation_error', fields: { name: expect.any(String) } })
    const unknownField = await client.callTool({ name: 'keys_create', arguments: { name: 'x', scope: ['read'] } })
    expect(envelope(unknownField).fields).toEqual({ scope: 'is not a known field' })

    // Another organisation's document is not_found, exactly as over REST.
    const other = (await server.createOrg('Other org')).key
    const foreign = (await server.api('POST', '/documents', { key: other, body: { title: 'Theirs', file_base64: pdf } })).body
    expect(envelope(await client.callTool({ name: 'documents_get', arguments: { id: foreign.id } }))).toMatchObject({ code: 'not_found' })
    expect(envelope(await client.callTool({ name: 'documents_delete', arguments: { id: foreign.id } })).code).toBe('not_found')
    expect((await server.api('GET', `/documents/${foreign.id}`, { key: other })).status).toBe(200)

    expect(envelope(await client.callTool({ name: 'reseller_keys_list', arguments: {} })).code).toBe('wrong_key_type')
    expect(envelope(await client.callTool({ name: 'no_such_tool', arguments: {} })).code).toBe('not_found')
    const huge = await client.callTool({ name: 'keys_create', arguments: { name: 'x'.repeat(1024 * 1024 + 1) } })
    expect(envelope(huge).code).toBe('payload_too_large')

    // An unexpected failure is internal_error with the request id, and nothing of its cause.
    const failed = await client.callTool({ name: 'probe_fail', arguments: {} })
    expect(failed.isError).toBe(true)
    expect(envelope(failed)).toMatchObject({ code: 'internal_error', message: 'Internal server error', request_id: expect.stringMatching(/^req_/) })
    expect(JSON.stringify(failed)).not.toContain('hunter2')

    // A bare list has no structuredContent (which must be an object), only its text.
    const letters = await client.callTool({ name: 'probe_letters', arguments: {} })
    expect(letters.structuredContent).toBeUndefined()
    expect(JSON.parse((letters.content as { text: string }[])[0]!.text)).toEqual(['a', 'b'])
    await client.close()
  })

  it('answers a tool outside the key scopes with insufficient_scope, under the client request id', async () => {
    const { client } = await connect(server, reader.key, { 'x-request-id': 'mcp-scope-check' })
    const result = await client.callTool({ name: 'keys_create', arguments: { name: 'nope' } })
    expect(result.isError).toBe(true)
    expect(envelope(result)).toMatchObject({ code: 'insufficient_scope', request_id: 'mcp-scope-check' })
    expect(envelope(result).message).toContain('"admin"')
    const write = await client.callTool({ name: 'documents_delete', arguments: { id: '00000000-0000-4000-8000-000000000000' } })
    expect(envelope(write)).toMatchObject({ code: 'insufficient_scope' })
    expect(envelope(write).message).toContain('"actions"')
    await client.close()
  })

  it('refuses a missing or bad key with 401 and WWW-Authenticate, and a revoked key with 403', async () => {
    const missing = await rpc(server, { 'x-request-id': 'mcp-no-key' })
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="portico"')
    expect(await missing.json()).toEqual({ error: { code: 'missing_api_key', message: expect.any(String), request_id: 'mcp-no-key' } })

    const bad = await rpc(server, { authorization: 'Bearer ptk_not-a-real-key' })
    expect(bad.status).toBe(401)
    expect(bad.headers.get('www-authenticate')).toBe('Bearer realm="portico", error="invalid_token"')
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key')
    await expect(connect(server, 'ptk_not-a-real-key')).rejects.toThrow()

    const doomed = (await server.api('POST', '/keys', { key: admin, body: { name: 'doomed' } })).body
    const { client } = await connect(server, doomed.key)
    await server.api('DELETE', `/keys/${doomed.id}`, { key: admin })
    await expect(client.listTools()).rejects.toThrow()
    const revoked = await rpc(server, { authorization: `Bearer ${doomed.key}` })
    expect(revoked.status).toBe(403)
    expect(revoked.headers.get('www-authenticate')).toBeNull()
    expect(((await revoked.json()) as { error: { code: string } }).error.code).toBe('api_key_revoked')
  })

  it('serves POST only: no GET stream for the client to reconnect to, no session to delete', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(`${server.url}/mcp`, { method, headers: { authorization: `Bearer ${admin}`, accept: 'text/event-stream' } })
      expect(res.status, method).toBe(405)
      expect(res.headers.get('allow')).toBe('POST')
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed')
    }
    const { client, exchanges } = await connect(server, admin)
    await client.listTools()
    await new Promise((resolve) => setTimeout(resolve, 300))
    // The SDK client tries one GET stream after initialising; a 405 is its cue not to reconnect.
    const streams = exchanges.filter((e) => e.method === 'GET')
    expect(streams.length).toBeLessThanOrEqual(1)
    expect(streams.every((e) => e.status === 405)).toBe(true)
    expect(exchanges.every((e) => e.headers.get('mcp-session-id') === null)).toBe(true)
    await client.close()
  })

  it('refuses browser Origins that are neither its own nor configured', async () => {
    const auth = { authorization: `Bearer ${admin}` }
    const evil = await rpc(server, { ...auth, origin: 'http://evil.example' })
    expect(evil.status).toBe(403)
    expect(((await evil.json()) as { error: { code: string } }).error.code).toBe('forbidden')
    expect((await rpc(server, { ...auth, origin: new URL(server.url).origin })).status).toBe(200)
    expect((await rpc(server, { ...auth, origin: 'https://assistant.example' })).status).toBe(200)
    expect((await rpc(server, auth)).status).toBe(200)
  })

  it('shares the rate limit with REST; connecting and listing tools spend nothing', async () => {
    const limited = (await server.api('POST', '/keys', { key: admin, body: { name: 'shared quota', scopes: ['read'] } })).body
    const patched = await server.api('PATCH', `/keys/${limited.id}`, { key: admin, body: { rate_limits: { general: { limit: 5, window_seconds: 60 } } } })
    expect(patched.status).toBe(200)
    const { client, exchanges } = await connect(server, limited.key)
    for (let i = 0; i < 6; i++) await client.listTools()

    expect((await server.api('GET', '/health', { key: limited.key })).status).toBe(200)
    expect((await server.api('GET', '/health', { key: limited.key })).status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await client.callTool({ name: 'platform_health', arguments: {} })).isError).toBeFalsy()
    // The HTTP answer to a tool call carries the same rate-limit headers as REST.
    const last = exchanges.at(-1)!
    expect(last.headers.get('ratelimit-policy')).toBe('"general";q=5;w=60')
    expect(last.headers.get('ratelimit')).toMatch(/^"general";r=0;t=\d+$/)

    const over = await client.callTool({ name: 'platform_health', arguments: {} })
    expect(over.isError).toBe(true)
    expect(envelope(over)).toMatchObject({ code: 'rate_limited' })
    expect(envelope(over).retry_after).toBeGreaterThan(0)
    const rest = await server.api('GET', '/health', { key: limited.key })
    expect(rest.status).toBe(429)
    expect(rest.body.error.code).toBe('rate_limited')
    await client.close()
  })
})
