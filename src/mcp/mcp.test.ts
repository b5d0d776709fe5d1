import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'

async function connect(server: TestServer, key: string): Promise<Client> {
  const client = new Client({ name: 'portico-test', version: '1.0.0' })
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  })
  await client.connect(transport)
  return client
}

const envelope = (result: unknown) => JSON.parse((result as { content: { text: string }[] }).content[0]!.text).error

describe.each(engines)('MCP doorway (%s)', (engine) => {
  let server: TestServer
  let admin: string
  let reader: { id: string; key: string }

  beforeAll(async () => {
    server = await startServer({ engine })
    admin = (await server.createOrg()).key
    reader = (await server.api('POST', '/keys', { key: admin, body: { name: 'assistant', scopes: ['read'] } })).body
  })
  afterAll(() => server.close())

  it('lists only what a read key may call: no write tools', async () => {
    const client = await connect(server, reader.key)
    const { tools } = await client.listTools()
    const names = tools.map((t) => t.name)
    expect(names).toContain('platform.health')
    expect(names).not.toContain('keys.create')
    expect(names).not.toContain('keys.revoke')
    for (const tool of tools) expect(tool.annotations?.readOnlyHint, tool.name).toBe(true)
    await client.close()
  })

  it('lists write tools for a key with the scopes, with merged input schemas and annotations', async () => {
    const client = await connect(server, admin)
    const { tools } = await client.listTools()
    const revoke = tools.find((t) => t.name === 'keys.revoke')!
    expect(revoke.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true })
    expect(revoke.inputSchema.required).toEqual(['id'])
    const update = tools.find((t) => t.name === 'keys.update')!
    expect(Object.keys(update.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(['id', 'name', 'scopes', 'rate_limits']))
    // Every tool is a registry operation: nothing is listed by hand.
    const callable = server.portico.registry.all().filter((op) => server.portico.executor.isCallable(op, { kind: 'org_key', orgId: '', keyId: '', keyPrefix: '', keyName: '', scopes: ['read', 'draft', 'actions', 'admin'], keyExpiresAt: null }))
    expect(tools.map((t) => t.name).sort()).toEqual(callable.map((op) => op.id).sort())
    await client.close()
  })

  it('calls a read tool and a write tool through the same handlers as REST', async () => {
    const client = await connect(server, admin)
    const health = await client.callTool({ name: 'platform.health', arguments: {} })
    expect(health.isError).toBeFalsy()
    expect((health.structuredContent as { key: { scopes: string[] } }).key.scopes).toContain('admin')
    const minted = await client.callTool({ name: 'keys.create', arguments: { name: 'made by assistant', scopes: ['read'] } })
    expect(minted.isError).toBeFalsy()
    const created = minted.structuredContent as { id: string; key: string }
    expect(created.key).toMatch(/^ptk_/)
    const rest = await server.api('GET', `/keys/${created.id}`, { key: admin })
    expect(rest.status).toBe(200)
    expect(rest.body.name).toBe('made by assistant')
    const audit = await server.api('GET', '/audit-log?action=api_key.created', { key: admin })
    expect(audit.body.data.some((e: { target: { id: string } }) => e.target.id === created.id)).toBe(true)
    const invalid = await client.callTool({ name: 'keys.create', arguments: { name: '' } })
    expect(invalid.isError).toBe(true)
    expect(envelope(invalid).code).toBe('validation_error')
    const foreign = await client.callTool({ name: 'keys.get', arguments: { id: '00000000-0000-4000-8000-000000000000' } })
    expect(envelope(foreign).code).toBe('not_found')
    await client.close()
  })

  it('answers a tool outside the key scopes with insufficient_scope as a tool error', async () => {
    const client = await connect(server, reader.key)
    const result = await client.callTool({ name: 'keys.create', arguments: { name: 'nope' } })
    expect(result.isError).toBe(true)
    expect(envelope(result)).toMatchObject({ code: 'insufficient_scope' })
    expect(envelope(result).message).toContain('admin')
    await client.close()
  })

  it('refuses a missing key with 401 and WWW-Authenticate, and a revoked key with 403', async () => {
    const init = { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) }
    const missing = await fetch(`${server.url}/mcp`, init)
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('missing_api_key')

    const doomed = (await server.api('POST', '/keys', { key: admin, body: { name: 'doomed' } })).body
    const client = await connect(server, doomed.key)
    await server.api('DELETE', `/keys/${doomed.id}`, { key: admin })
    await expect(client.listTools()).rejects.toThrow()
    const revoked = await fetch(`${server.url}/mcp`, { ...init, headers: { ...init.headers, authorization: `Bearer ${doomed.key}` } })
    expect(revoked.status).toBe(403)
    expect(((await revoked.json()) as { error: { code: string } }).error.code).toBe('api_key_revoked')
  })

  it('refuses a browser Origin that is not allowed', async () => {
    const res = await fetch(`${server.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, origin: 'http://evil.example', 'content-type': 'application/json' },
      body: '{}',
    })
    expect(res.status).toBe(403)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden')
  })

  it('shares the rate limit with REST', async () => {
    const limited = (await server.api('POST', '/keys', { key: admin, body: { name: 'shared quota', scopes: ['read'] } })).body
    await server.api('PATCH', `/keys/${limited.id}`, { key: admin, body: { rate_limits: { general: { limit: 4, window_seconds: 60 } } } })
    const client = await connect(server, limited.key)
    expect((await server.api('GET', '/health', { key: limited.key })).status).toBe(200)
    expect((await server.api('GET', '/health', { key: limited.key })).status).toBe(200)
    expect((await client.callTool({ name: 'platform.health', arguments: {} })).isError).toBeFalsy()
    expect((await client.callTool({ name: 'platform.health', arguments: {} })).isError).toBeFalsy()
    const over = await client.callTool({ name: 'platform.health', arguments: {} })
    expect(over.isError).toBe(true)
    expect(envelope(over)).toMatchObject({ code: 'rate_limited' })
    expect(envelope(over).retry_after).toBeGreaterThan(0)
    expect((await server.api('GET', '/health', { key: limited.key })).status).toBe(429)
    await client.close()
  })
})
