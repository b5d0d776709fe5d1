import { execFile } from 'node:child_process'
import path from 'node:path'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineModule } from '../src/core/module.js'
import { z } from '../src/core/schema.js'
import { checksumMatches, parseKeyShape } from '../src/keys/key-format.js'
import { coreDb } from '../src/storage/db.js'
import { engines, startServer, type TestServer } from './harness.js'
import { startReceiver, waitFor } from './webhook-receiver.js'

const root = path.resolve(import.meta.dirname, '..')

/** A product that declares one event, as an upstream's `events` would. */
const kb = defineModule({
  name: 'kb',
  events: [{ type: 'kb.document_indexed', summary: 'A document was indexed', schema: z.object({ document_id: z.string(), title: z.string().optional() }) }],
})

describe.each(engines)('service keys and the verify API (%s)', (engine) => {
  let server: TestServer
  let org: { orgId: string; key: string }
  let service: { id: string; key: string }

  /**
   * The repository's `portico` command on the server's database. Run asynchronously: the server
   * lives in this process, and a synchronous spawn would stop it mid-transaction, with its locks
   * held, while the command waits for them.
   */
  const cli = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['bin/portico.mjs', ...args],
        { cwd: root, env: { ...process.env, DATABASE_URL: server.db.url, LOG_LEVEL: 'warn', ...server.db.childEnv }, encoding: 'utf8', timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
      )
    })
  const verify = (body: Record<string, unknown>, key = service.key) => server.api('POST', '/platform/verify', { key, body })
  const mint = async (body: Record<string, unknown>, key = org.key) => {
    const res = await server.api('POST', '/keys', { key, body })
    expect(res.status, res.text).toBe(201)
    return res.body as { id: string; key: string; prefix: string }
  }

  beforeAll(async () => {
    // SQLite has no channel between processes: a change made by the CLI is seen within the cache TTL.
    server = await startServer({ engine, modules: [kb], startBackground: true, env: engine === 'sqlite' ? { PORTICO_KEY_CACHE_TTL: '1' } : {} })
    org = await server.createOrg('Verified org')
    const created = await cli('service-key', 'create', '--name', 'kb')
    expect(created.code, created.stderr).toBe(0)
    const key = /psk_[0-9A-Za-z]{48}/.exec(created.stdout)?.[0]
    const id = /service key: ([0-9a-f-]{36})/.exec(created.stdout)?.[1]
    expect(key && id, created.stdout).toBeTruthy()
    service = { id: id!, key: key! }
  }, 120_000)
  afterAll(() => server?.close())

  it('mints a psk_ key in the common format, shown once and listed by id, name, prefix and times', async () => {
    const shape = parseKeyShape(service.key)!
    expect(shape.prefix).toBe('psk')
    expect(checksumMatches(shape)).toBe(true)
    const row = await coreDb(server.db.handle.db).selectFrom('api_keys').selectAll().where('id', '=', service.id).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ owner_type: 'service', org_id: null, reseller_id: null, prefix: service.key.slice(0, 12) })
    expect(JSON.stringify(row)).not.toContain(service.key.slice(4))
    const listed = await cli('service-key', 'list')
    expect(listed.code, listed.stderr).toBe(0)
    const line = listed.stdout.split('\n').find((l) => l.startsWith(service.id))!
    expect(line.split('\t')).toEqual([service.id, 'kb', service.key.slice(0, 12), expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), '-'])
    expect(listed.stdout).not.toContain(service.key.slice(12))
    const health = await server.api('GET', '/health', { key: service.key })
    expect(health.status).toBe(200)
    expect(health.body.key).toMatchObject({ id: service.id, kind: 'service', org_id: null, reseller_id: null })
  })

  it('lets a service key call only /platform operations, /health and /catalog, and no other key call those', async () => {
    const catalog = await server.api('GET', '/catalog', { key: service.key })
    expect(catalog.status).toBe(200)
    const paths = (catalog.body.data as { path: string; callable: boolean }[]).map((op) => op.path).sort()
    expect(paths).toEqual(['/api/v1/catalog', '/api/v1/health', '/api/v1/platform/events', '/api/v1/platform/verify'])
    for (const [method, p] of [['GET', '/keys'], ['GET', '/events'], ['POST', '/webhooks'], ['GET', '/reseller/organizations']] as const) {
      const res = await server.api(method, p, { key: service.key, body: method === 'POST' ? { url: 'https://example.com', events: ['*'] } : undefined })
      expect(res.status, `${method} ${p}`).toBe(403)
      expect(res.body.error.code).toBe('wrong_key_type')
    }
    const orgCalls = [await verify({ key: org.key }, org.key), await server.api('POST', '/platform/events', { key: org.key, body: { org_id: org.orgId, type: 'kb.document_indexed', data: { document_id: 'd' } } })]
    for (const res of orgCalls) {
      expect(res.status).toBe(403)
      expect(res.body.error.code).toBe('wrong_key_type')
    }
    const orgCatalog = await server.api('GET', '/catalog', { key: org.key })
    expect(orgCatalog.body.data.map((op: { path: string }) => op.path)).not.toContain('/api/v1/platform/verify')
  })

  it('answers valid with the key, its organisation and the rate limits it counted', async () => {
    const res = await verify({ key: org.key, scope: 'read' })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      valid: true,
      code: 'valid',
      key: { prefix: org.key.slice(0, 12), name: 'First key', org_id: org.orgId, org_external_id: null, scopes: ['read', 'draft', 'actions', 'admin'], meta: {}, expires_at: null },
      ratelimits: [{ name: 'general', limit: 300, remaining: expect.any(Number), reset_seconds: expect.any(Number) }],
      credits: null,
    })
    const send = await verify({ key: org.key, limit: 'send' })
    expect(send.body.ratelimits.map((r: { name: string }) => r.name)).toEqual(['general', 'send'])
    // The service key's own call is counted in the platform class, not its general budget.
    expect(res.headers.get('ratelimit-policy')).toBe('"platform";q=6000;w=60')
  })

  it('answers 200 with a code for every refusal', async () => {
    const unknown = 'ptk_' + 'A'.repeat(48)
    for (const key of ['', 'nonsense', unknown, org.key.slice(0, -1) + (org.key.endsWith('x') ? 'y' : 'x')]) {
      const res = await verify({ key })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ valid: false, code: 'invalid_api_key', key: null, ratelimits: [], credits: null })
    }
    // Other kinds of key are not keys of the product's API.
    expect((await verify({ key: service.key })).body).toMatchObject({ valid: false, code: 'invalid_api_key', key: null })

    const reader = await mint({ name: 'reader', scopes: ['read'], meta: { plan: 'pro', customer: 'c_42' } })
    expect((await verify({ key: reader.key, scope: 'read' })).body.key.meta).toEqual({ plan: 'pro', customer: 'c_42' })
    expect((await verify({ key: reader.key, scope: 'admin' })).body).toMatchObject({ valid: false, code: 'insufficient_scope', key: { id: reader.id, scopes: ['read'] } })

    const revoked = await mint({ name: 'revoked' })
    expect((await verify({ key: revoked.key })).body.code).toBe('valid')
    expect((await server.api('DELETE', `/keys/${revoked.id}`, { key: org.key })).status).toBe(200)
    expect((await verify({ key: revoked.key })).body).toMatchObject({ valid: false, code: 'api_key_revoked', key: { id: revoked.id } })

    const expired = await mint({ name: 'expired' })
    await coreDb(server.db.handle.db).updateTable('api_keys').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', expired.id).execute()
    expect((await verify({ key: expired.key })).body).toMatchObject({ valid: false, code: 'api_key_expired', key: { id: expired.id } })

    const other = await server.createOrg('Suspended org')
    await coreDb(server.db.handle.db).updateTable('organizations').set({ status: 'suspended' }).where('id', '=', other.orgId).execute()
    expect((await verify({ key: other.key })).body).toMatchObject({ valid: false, code: 'organization_suspended', key: { org_id: other.orgId } })

    const bad = await verify({ key: org.key, scope: 'everything', limit: 'no_such_class' })
    expect(bad.status).toBe(400)
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['scope'])
    const badLimit = await verify({ key: org.key, limit: 'no_such_class' })
    expect(badLimit.status).toBe(400)
    expect(badLimit.body.error.fields).toHaveProperty('limit')
  })

  it('spends the quota it reports and records the key’s use, as a request would', async () => {
    const limited = await mint({ name: 'limited' })
    const patched = await server.api('PATCH', `/keys/${limited.id}`, { key: org.key, body: { rate_limits: { general: { limit: 1, window_seconds: 60 } } } })
    expect(patched.status, patched.text).toBe(200)
    const first = await verify({ key: limited.key })
    expect(first.body).toMatchObject({ valid: true, code: 'valid', ratelimits: [{ name: 'general', limit: 1, remaining: 0 }] })
    const second = await verify({ key: limited.key })
    expect(second.status).toBe(200)
    expect(second.body).toMatchObject({ valid: false, code: 'rate_limited', key: { id: limited.id }, ratelimits: [{ name: 'general', limit: 1, remaining: 0 }] })
    expect(second.body.ratelimits[0].reset_seconds).toBeGreaterThan(0)
    // The same bucket a request spends from.
    const request = await server.api('GET', '/health', { key: limited.key })
    expect(request.status).toBe(429)

    await server.portico.flushLastUsed()
    await server.portico.flushUsage()
    const shown = await server.api('GET', `/keys/${limited.id}`, { key: org.key })
    expect(shown.body.last_used_at).not.toBeNull()
    const usage = await server.api('GET', `/usage?key_id=${limited.id}`, { key: org.key })
    expect(usage.status, usage.text).toBe(200)
    const counts = JSON.stringify(usage.body)
    expect(counts).toContain(limited.id)
  })

  it('spends credits and checks the IP allow-list through the same checks as a request', async () => {
    const capped = await mint({ name: 'capped', credits: { remaining: 2 } })
    expect((await verify({ key: capped.key })).body).toMatchObject({ valid: true, code: 'valid', credits: { remaining: 1 } })
    // More than is left is refused and spends nothing.
    expect((await verify({ key: capped.key, cost: 5 })).body).toMatchObject({ valid: false, code: 'usage_exceeded', key: { id: capped.id } })
    expect((await verify({ key: capped.key })).body).toMatchObject({ valid: true, credits: { remaining: 0 } })
    expect((await verify({ key: capped.key })).body).toMatchObject({ valid: false, code: 'usage_exceeded' })
    expect((await server.api('GET', '/health', { key: capped.key })).body.error.code).toBe('usage_exceeded')

    const listed = await mint({ name: 'listed', allowed_ips: ['203.0.113.0/24'] })
    expect((await verify({ key: listed.key, ip: '203.0.113.7' })).body).toMatchObject({ valid: true, code: 'valid', credits: null })
    expect((await verify({ key: listed.key, ip: '198.51.100.1' })).body).toMatchObject({ valid: false, code: 'ip_not_allowed', key: { id: listed.id } })
    expect((await verify({ key: listed.key })).body).toMatchObject({ valid: false, code: 'ip_not_allowed' })
  })

  it('records a declared event for an organisation: delivered signed to its webhooks, listed in /events, audited', async () => {
    const receiver = await startReceiver()
    try {
      const hook = await server.api('POST', '/webhooks', { key: org.key, body: { url: receiver.url, events: ['kb.document_indexed'] } })
      expect(hook.status, hook.text).toBe(201)
      const posted = await server.api('POST', '/platform/events', {
        key: service.key,
        body: { org_id: org.orgId, type: 'kb.document_indexed', data: { document_id: 'doc-1', title: 'Handbook' } },
      })
      expect(posted.status, posted.text).toBe(202)
      expect(posted.body).toMatchObject({ object: 'event', org_id: org.orgId, type: 'kb.document_indexed', data: { document_id: 'doc-1', title: 'Handbook' } })
      await waitFor(() => receiver.received.length > 0)
      const delivery = receiver.received[0]!
      const payload = new Webhook(hook.body.secret).verify(delivery.body, delivery.headers) as { type: string; data: unknown }
      expect(payload).toMatchObject({ type: 'kb.document_indexed', data: { document_id: 'doc-1', title: 'Handbook' } })
      expect(delivery.headers['webhook-id']).toBe(`msg_${posted.body.id.replaceAll('-', '')}`)

      const events = await server.api('GET', '/events?type=kb.document_indexed', { key: org.key })
      expect(events.body.data.map((e: { id: string }) => e.id)).toContain(posted.body.id)
      const audit = await server.api('GET', '/audit-log', { key: org.key })
      const entry = audit.body.data.find((e: { action: string }) => e.action === 'event.posted')
      expect(entry).toMatchObject({ actor: { type: 'service_key', id: service.id }, target: { type: 'event', id: posted.body.id } })
    } finally {
      await receiver.close()
    }
  })

  it('refuses an undeclared type (400), a payload off its schema (400) and an unknown organisation (404)', async () => {
    const post = (body: unknown) => server.api('POST', '/platform/events', { key: service.key, body })
    const undeclared = await post({ org_id: org.orgId, type: 'kb.made_up', data: {} })
    expect(undeclared.status).toBe(400)
    expect(undeclared.body.error).toMatchObject({ code: 'validation_error', fields: { type: expect.stringContaining('kb.document_indexed') } })
    // Portico's own events are not the product's to post.
    expect((await post({ org_id: org.orgId, type: 'api_key.revoked', data: {} })).status).toBe(400)
    const offSchema = await post({ org_id: org.orgId, type: 'kb.document_indexed', data: { document_id: 7 } })
    expect(offSchema.status).toBe(400)
    expect(offSchema.body.error.fields).toHaveProperty(['data.document_id'])
    const unknownOrg = await post({ org_id: '00000000-0000-4000-8000-000000000000', type: 'kb.document_indexed', data: { document_id: 'x' } })
    expect(unknownOrg.status).toBe(404)
    expect(unknownOrg.body.error.code).toBe('not_found')
  })

  it('publishes the platform operations and the declared events in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, any>; webhooks: Record<string, unknown>; components: any }
    expect(doc.paths['/platform/verify']?.post?.security).toEqual([{ serviceAuth: [] }])
    expect(doc.paths['/platform/events']?.post).toBeDefined()
    expect(doc.webhooks).toHaveProperty('kb.document_indexed')
    expect(doc.components.securitySchemes.serviceAuth.description).toContain('psk_')
  })

  it('refuses a service key once revoked at the command line, and rolls one', async () => {
    const created = await cli('service-key', 'create', '--name', 'short-lived', '--scopes', 'read')
    const key = /psk_[0-9A-Za-z]{48}/.exec(created.stdout)![0]
    const id = /service key: ([0-9a-f-]{36})/.exec(created.stdout)![1]!
    expect((await verify({ key: org.key }, key)).status).toBe(200)
    // A read-only service key may verify but not post events.
    const post = await server.api('POST', '/platform/events', { key, body: { org_id: org.orgId, type: 'kb.document_indexed', data: { document_id: 'x' } } })
    expect(post.status).toBe(403)
    expect(post.body.error.code).toBe('insufficient_scope')

    const revoked = await cli('service-key', 'revoke', id)
    expect(revoked.code, revoked.stderr).toBe(0)
    await waitFor(async () => (await verify({ key: org.key }, key)).status === 403, 5000)
    const refused = await verify({ key: org.key }, key)
    expect(refused.body.error.code).toBe('api_key_revoked')
    const listed = await cli('service-key', 'list')
    expect(listed.stdout.split('\n').find((l) => l.startsWith(id))!.split('\t')[4]).toMatch(/^\d{4}-/)
    expect((await cli('service-key', 'revoke', '00000000-0000-4000-8000-000000000000')).code).toBe(1)
    // An organisation key's id is not a service key's.
    expect((await cli('service-key', 'revoke', (await mint({ name: 'not a service key' })).id)).code).toBe(1)

    const rolled = await cli('service-key', 'roll', service.id, '--grace-period', '60')
    expect(rolled.code, rolled.stderr).toBe(0)
    const next = /psk_[0-9A-Za-z]{48}/.exec(rolled.stdout)![0]
    expect((await verify({ key: org.key }, next)).body.code).toBe('valid')
    // The old key works through its grace period.
    expect((await verify({ key: org.key })).status).toBe(200)
  }, 120_000)
})
