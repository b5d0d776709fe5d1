import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditWriter } from '../audit/audit-writer.js'
import { defineModule } from '../core/module.js'
import { z } from '../core/schema.js'
import { TransactionalOutbox } from '../events/outbox.js'
import { engines, startServer, type ApiResponse, type TestServer } from '../../test/harness.js'
import { startReceiver, waitFor } from '../../test/webhook-receiver.js'
import { isPrivateAddress } from './address-guard.js'
import { Dispatcher } from './dispatcher.js'
import { webhookDb } from './tables.js'

const HOUR = 3_600_000

describe.each(engines)('webhooks (%s)', (engine) => {
  let server: TestServer
  let org: { orgId: string; key: string }
  beforeAll(async () => {
    server = await startServer({ engine, startBackground: true })
    org = await server.createOrg()
  })
  afterAll(() => server.close())

  const createHook = async (url: string, events = ['*']) => {
    const res = await server.api('POST', '/webhooks', { key: org.key, body: { url, events, description: 'test' } })
    expect(res.status, res.text).toBe(201)
    return res.body as { id: string; secret: string }
  }

  it('creates endpoints with a whsec_ secret shown on create and get, never in lists', async () => {
    const receiver = await startReceiver()
    const hook = await createHook(receiver.url, ['api_key.created'])
    expect(hook.secret).toMatch(/^whsec_/)
    const list = await server.api('GET', '/webhooks', { key: org.key })
    expect(list.text).not.toContain(hook.secret)
    expect(list.body.data.some((w: { id: string }) => w.id === hook.id)).toBe(true)
    expect((await server.api('GET', `/webhooks/${hook.id}`, { key: org.key })).body.secret).toBe(hook.secret)
    const bad = await server.api('POST', '/webhooks', { key: org.key, body: { url: 'ftp://x', events: ['no.such'] } })
    expect(bad.status).toBe(400)
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['events[0]', 'url'])
    const types = await server.api('GET', '/webhooks/event-types', { key: org.key })
    expect(types.body.data.map((t: { type: string }) => t.type)).toEqual(expect.arrayContaining(['api_key.created', 'webhook.disabled', 'webhook.test']))
    await server.api('DELETE', `/webhooks/${hook.id}`, { key: org.key })
    await receiver.close()
  })

  it('searches endpoints by part of the URL or an event name, page by page, within the organisation', async () => {
    const mine = await server.createOrg('Webhook search')
    const add = async (url: string, events: string[]) => {
      const res = await server.api('POST', '/webhooks', { key: mine.key, body: { url, events } })
      expect(res.status, res.text).toBe(201)
      return res.body.id as string
    }
    const orders = await add('http://127.0.0.1:9/Orders/receive', ['api_key.created'])
    const billing = await add('http://127.0.0.1:9/billing', ['webhook.disabled', 'api_key.revoked'])
    const all = await add('http://127.0.0.1:9/all-events', ['*'])
    const sale = await add('http://127.0.0.1:9/50%25-off', ['webhook.disabled'])
    await createHook('http://127.0.0.1:9/orders/of-another-organisation')
    const search = async (q: string, extra = '') => {
      const res = await server.api('GET', `/webhooks?q=${encodeURIComponent(q)}${extra}`, { key: mine.key })
      expect(res.status, res.text).toBe(200)
      return res.body as { data: { id: string }[]; next_cursor: string | null }
    }
    const ids = async (q: string) => (await search(q)).data.map((w) => w.id).sort()
    const sorted = (...list: string[]) => list.sort()

    expect(await ids('ORDERS')).toEqual([orders])
    // An event name finds the endpoints that receive it: by name, or subscribed to all events.
    expect(await ids('api_key.created')).toEqual(sorted(orders, all))
    expect(await ids('disabled')).toEqual(sorted(billing, all, sale))
    expect(await ids('*')).toEqual([all])
    // LIKE's wildcards and JSON's punctuation stand for themselves.
    expect(await ids('%')).toEqual([sale])
    expect(await ids('","')).toEqual([])
    expect(await ids('nothing-like-it')).toEqual([])
    expect(await ids('  ')).toHaveLength(4)

    const first = await search('disabled', '&limit=2')
    expect(first.data).toHaveLength(2)
    const rest = await search('disabled', `&limit=2&cursor=${first.next_cursor}`)
    expect([...first.data, ...rest.data].map((w) => w.id).sort()).toEqual(sorted(billing, all, sale))
    expect(rest.next_cursor).toBeNull()

    const long = await server.api('GET', `/webhooks?q=${'x'.repeat(101)}`, { key: mine.key })
    expect(long.status).toBe(400)
    expect(long.body.error.fields).toHaveProperty('q')
    const op = (await server.api('GET', '/openapi.json')).body.paths['/webhooks'].get
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['limit', 'cursor', 'q']))
  })

  it('delivers events signed per Standard Webhooks, verified by the library itself', async () => {
    const receiver = await startReceiver()
    const hook = await createHook(receiver.url, ['api_key.created'])
    const minted = await server.api('POST', '/keys', { key: org.key, body: { name: 'announced' } })
    await waitFor(() => receiver.received.some((r) => r.body.includes(minted.body.id)))
    const delivery = receiver.received.find((r) => r.body.includes(minted.body.id))!
    const payload = new Webhook(hook.secret).verify(delivery.body, delivery.headers) as { type: string; timestamp: string; data: { id: string } }
    expect(payload.type).toBe('api_key.created')
    expect(payload.data.id).toBe(minted.body.id)
    expect(delivery.body).not.toContain(minted.body.key)
    expect(delivery.headers['webhook-id']).toMatch(/^msg_/)
    expect(() => new Webhook('whsec_' + Buffer.from('wrong secret wrong secret 123456').toString('base64')).verify(delivery.body, delivery.headers)).toThrow()

    const log = await server.api('GET', `/webhooks/${hook.id}/deliveries`, { key: org.key })
    await waitFor(async () => (await server.api('GET', `/webhooks/${hook.id}/deliveries`, { key: org.key })).body.data[0].status === 'succeeded')
    expect(log.body.data[0]).toMatchObject({ event_type: 'api_key.created', message_id: delivery.headers['webhook-id'] })
    const events = await server.api('GET', '/events?type=api_key.created', { key: org.key })
    expect(events.body.data.some((e: { data: { id: string } }) => e.data.id === minted.body.id)).toBe(true)

    // Test deliveries and manual retries resend with the same webhook-id.
    const test = await server.api('POST', `/webhooks/${hook.id}/test`, { key: org.key })
    expect(test.status).toBe(202)
    await waitFor(() => receiver.received.some((r) => r.body.includes('"webhook.test"')))
    const retried = await server.api('POST', `/webhooks/${hook.id}/deliveries/${log.body.data[0].id}/retry`, { key: org.key })
    expect(retried.status).toBe(202)
    await waitFor(() => receiver.received.filter((r) => r.headers['webhook-id'] === delivery.headers['webhook-id']).length === 2)
    await server.api('DELETE', `/webhooks/${hook.id}`, { key: org.key })
    await receiver.close()
  })

  it('signs with both secrets during a rotation', async () => {
    const receiver = await startReceiver()
    const hook = await createHook(receiver.url)
    const rotated = await server.api('POST', `/webhooks/${hook.id}/rotate-secret`, { key: org.key, body: { grace_period_seconds: 3600 } })
    expect(rotated.body.secret).not.toBe(hook.secret)
    await server.api('POST', `/webhooks/${hook.id}/test`, { key: org.key })
    await waitFor(() => receiver.received.length > 0)
    const [delivery] = receiver.received
    expect(delivery!.headers['webhook-signature']!.split(' ')).toHaveLength(2)
    expect(() => new Webhook(hook.secret).verify(delivery!.body, delivery!.headers)).not.toThrow()
    expect(() => new Webhook(rotated.body.secret).verify(delivery!.body, delivery!.headers)).not.toThrow()
    await server.api('DELETE', `/webhooks/${hook.id}`, { key: org.key })
    await receiver.close()
  })

  it("answers 404 for another organisation's endpoint or delivery, and for another endpoint's delivery", async () => {
    const receiver = await startReceiver()
    const other = await server.createOrg('Other')
    const theirs = (await server.api('POST', '/webhooks', { key: other.key, body: { url: receiver.url, events: ['*'] } })).body
    const theirDelivery = (await server.api('POST', `/webhooks/${theirs.id}/test`, { key: other.key })).body
    const mine = await createHook(receiver.url)
    for (const [method, path, body] of [
      ['GET', `/webhooks/${theirs.id}`],
      ['PATCH', `/webhooks/${theirs.id}`, { description: 'mine now' }],
      ['DELETE', `/webhooks/${theirs.id}`],
      ['POST', `/webhooks/${theirs.id}/rotate-secret`, {}],
      ['POST', `/webhooks/${theirs.id}/test`],
      ['GET', `/webhooks/${theirs.id}/deliveries`],
      ['POST', `/webhooks/${theirs.id}/deliveries/${theirDelivery.id}/retry`],
      ['POST', `/webhooks/${mine.id}/deliveries/${theirDelivery.id}/retry`],
      ['GET', `/webhooks/${theirs.id}/deliveries/${theirDelivery.id}/attempts`],
      ['GET', `/webhooks/${mine.id}/deliveries/${theirDelivery.id}/attempts`],
    ] as const) {
      const res = await server.api(method, path, { key: org.key, body })
      expect(res.status, `${method} ${path}`).toBe(404)
      expect(res.body.error.code).toBe('not_found')
    }
    expect((await server.api('GET', `/webhooks/${theirs.id}`, { key: other.key })).body.description).toBe('')
    await server.api('DELETE', `/webhooks/${mine.id}`, { key: org.key })
    await receiver.close()
  })

  it('updates endpoints, audits every change, and never repeats a secret in an idempotent replay', async () => {
    const receiver = await startReceiver()
    const headers = { 'idempotency-key': `create-${engine}` }
    const body = { url: receiver.url, events: ['api_key.created'], description: 'first' }
    const created = await server.api('POST', '/webhooks', { key: org.key, body, headers })
    const replay = await server.api('POST', '/webhooks', { key: org.key, body, headers })
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    expect(replay.body).toMatchObject({ id: created.body.id, secret: null })
    const id = created.body.id as string

    const patched = await server.api('PATCH', `/webhooks/${id}`, { key: org.key, body: { events: ['api_key.revoked', '*'], description: 'second', enabled: false } })
    expect(patched.body).toMatchObject({ events: ['api_key.revoked', '*'], description: 'second', enabled: false })
    expect(patched.body.secret).toBeUndefined()
    const refused = await server.api('PATCH', `/webhooks/${id}`, { key: org.key, body: { url: 'not a url', events: ['nope'] } })
    expect(refused.status).toBe(400)
    expect(refused.body.error.fields).toEqual({ url: expect.any(String), 'events[0]': expect.any(String) })

    // A disabled endpoint gets nothing, not even by hand.
    expect((await server.api('POST', `/webhooks/${id}/test`, { key: org.key })).body.error.code).toBe('conflict')
    expect((await server.api('PATCH', `/webhooks/${id}`, { key: org.key, body: { enabled: true } })).body).toMatchObject({ enabled: true, disabled_reason: null })

    await server.api('POST', `/webhooks/${id}/rotate-secret`, { key: org.key, body: { grace_period_seconds: 0 } })
    await server.api('DELETE', `/webhooks/${id}`, { key: org.key })
    expect((await server.api('GET', `/webhooks/${id}`, { key: org.key })).status).toBe(404)
    const audit = await server.api('GET', '/audit-log?limit=100', { key: org.key })
    const actions = audit.body.data.filter((e: { target: { id: string } | null }) => e.target?.id === id).map((e: { action: string }) => e.action)
    expect(actions.sort()).toEqual(['webhook.created', 'webhook.deleted', 'webhook.secret_rotated', 'webhook.updated', 'webhook.updated'])
    expect(audit.text).not.toContain(created.body.secret)
    await receiver.close()
  })

  it('after a rotation with no grace period, only the new secret signs', async () => {
    const receiver = await startReceiver()
    const hook = await createHook(receiver.url)
    const rotated = await server.api('POST', `/webhooks/${hook.id}/rotate-secret`, { key: org.key, body: { grace_period_seconds: 0 } })
    expect(rotated.body.previous_secret_expires_at).toBeNull()
    await server.api('POST', `/webhooks/${hook.id}/test`, { key: org.key })
    await waitFor(() => receiver.received.length > 0)
    const [delivery] = receiver.received
    expect(delivery!.headers['webhook-signature']!.split(' ')).toHaveLength(1)
    expect(new Webhook(rotated.body.secret).verify(delivery!.body, delivery!.headers)).toMatchObject({ type: 'webhook.test', data: { webhook_id: hook.id } })
    expect(() => new Webhook(hook.secret).verify(delivery!.body, delivery!.headers)).toThrow()
    await server.api('DELETE', `/webhooks/${hook.id}`, { key: org.key })
    await receiver.close()
  })

  it('GET /events serves the payloads webhooks carry, page by page', async () => {
    const receiver = await startReceiver()
    const hook = await createHook(receiver.url, ['api_key.revoked'])
    const revoked: string[] = []
    for (let i = 0; i < 3; i++) {
      const key = (await server.api('POST', '/keys', { key: org.key, body: { name: `to revoke ${i}` } })).body
      await server.api('DELETE', `/keys/${key.id}`, { key: org.key })
      revoked.push(key.id)
    }
    await waitFor(() => receiver.received.length === 3)
    const first = await server.api('GET', '/events?type=api_key.revoked&limit=2', { key: org.key })
    const second = await server.api('GET', `/events?type=api_key.revoked&limit=2&cursor=${first.body.next_cursor}`, { key: org.key })
    const events = [...first.body.data, ...second.body.data]
    expect(events.map((e: { data: { id: string } }) => e.data.id)).toEqual([...revoked].reverse())
    for (const r of receiver.received) {
      const delivered = new Webhook(hook.secret).verify(r.body, r.headers) as { data: { id: string } }
      const polled = events.find((e: { data: { id: string } }) => e.data.id === delivered.data.id)
      expect(JSON.parse(r.body)).toEqual({ type: polled.type, timestamp: polled.timestamp, data: polled.data })
    }
    await server.api('DELETE', `/webhooks/${hook.id}`, { key: org.key })
    await receiver.close()
  })

  it('disables an endpoint that answers 410 Gone and records webhook.disabled', async () => {
    const receiver = await startReceiver(() => 410)
    const hook = await createHook(receiver.url)
    await server.api('POST', `/webhooks/${hook.id}/test`, { key: org.key })
    await waitFor(async () => (await server.api('GET', `/webhooks/${hook.id}`, { key: org.key })).body.enabled === false)
    const got = await server.api('GET', `/webhooks/${hook.id}`, { key: org.key })
    expect(got.body.disabled_reason).toContain('410')
    const events = await server.api('GET', '/events?type=webhook.disabled', { key: org.key })
    expect(events.body.data[0].data.webhook.id).toBe(hook.id)
    const audit = await server.api('GET', '/audit-log?action=webhook.disabled', { key: org.key })
    expect(audit.body.data[0].target.id).toBe(hook.id)
    const [delivery] = (await server.api('GET', `/webhooks/${hook.id}/deliveries`, { key: org.key })).body.data
    expect(delivery).toMatchObject({ status: 'failed', last_status_code: 410, attempts: 1 })
    const retry = await server.api('POST', `/webhooks/${hook.id}/deliveries/${delivery.id}/retry`, { key: org.key })
    expect(retry.status).toBe(409)
    expect(receiver.received).toHaveLength(1)
    await receiver.close()
  })
})

describe.each(engines)('webhook retry schedule on a fake clock (%s)', (engine) => {
  let server: TestServer
  beforeAll(async () => {
    // No background dispatcher: the test's own dispatcher runs on its own clock.
    server = await startServer({ engine })
  })
  afterAll(() => server.close())

  it('retries with growing, jittered back-off, never past 24 h, then fails; 3 days of failure disables', async () => {
    const receiver = await startReceiver((n) => (n === 1 ? { status: 503, headers: { 'retry-after': '120' } } : 500))
    const org = await server.createOrg()
    const hook = (await server.api('POST', '/webhooks', { key: org.key, body: { url: receiver.url, events: ['*'] } })).body
    await server.api('POST', '/keys', { key: org.key, body: { name: 'event' } })
    const start = Date.now()
    let clock = start
    const { db, dialect } = server.portico.database
    const dispatcher = new Dispatcher({ db, dialect, log: server.portico.log, outbox: new TransactionalOutbox(), auditWriter, allowPrivate: true, now: () => clock })
    const wdb = webhookDb(db)
    const row = () => wdb.selectFrom('webhook_deliveries').selectAll().where('org_id', '=', org.orgId).where('event_type', '=', 'api_key.created').executeTakeFirstOrThrow()
    const schedule: number[] = []
    for (let i = 0; i < 100; i++) {
      expect(await dispatcher.tick()).toBe(1)
      const r = await row()
      if (r.status === 'failed') break
      expect(r.status).toBe('pending')
      schedule.push(Date.parse(r.next_attempt_at!) - clock)
      clock = Date.parse(r.next_attempt_at!)
    }
    const final = await row()
    expect(final.status).toBe('failed')
    expect(receiver.received.length).toBe(final.attempts)
    expect(final.attempts).toBeGreaterThanOrEqual(8)
    // The 503's Retry-After was honoured, and no attempt came after the 24-hour deadline.
    expect(schedule[0]).toBeGreaterThanOrEqual(120_000)
    expect(clock - start).toBeLessThanOrEqual(24 * HOUR)
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1)
    const caps = schedule.slice(1, 6)
    expect(Math.max(...caps)).toBeLessThanOrEqual(15_000 * 2 ** 5)

    // Every attempt is in the delivery's history, newest first, with what the endpoint answered.
    const attempts: { attempt: number; status_code: number | null; latency_ms: number }[] = []
    let cursor: string | null = null
    do {
      const res: ApiResponse = await server.api('GET', `/webhooks/${hook.id}/deliveries/${final.id}/attempts?limit=5${cursor ? `&cursor=${cursor}` : ''}`, { key: org.key })
      expect(res.status, res.text).toBe(200)
      attempts.push(...res.body.data)
      cursor = res.body.next_cursor
    } while (cursor)
    expect(attempts.map((a) => a.attempt)).toEqual(Array.from({ length: final.attempts }, (_, i) => final.attempts - i))
    expect(attempts.at(-1)!.status_code).toBe(503)
    expect(attempts.slice(0, -1).every((a) => a.status_code === 500)).toBe(true)

    // The endpoint has failed every attempt since the first; three days on, one more failure disables it.
    clock = start + 3 * 24 * HOUR + 60_000
    await server.api('POST', `/webhooks/${hook.id}/test`, { key: org.key })
    expect(await dispatcher.tick()).toBe(1)
    const endpoint = await server.api('GET', `/webhooks/${hook.id}`, { key: org.key })
    expect(endpoint.body.enabled).toBe(false)
    expect(endpoint.body.disabled_reason).toContain('3 days')
    await receiver.close()
  })
})

describe("the event catalogue: the deployer's events beside Portico's own", () => {
  const shipments = defineModule({
    name: 'shipments',
    events: [{ type: 'shipment.dispatched', summary: 'A parcel left the warehouse', schema: z.object({ parcel_id: z.string() }) }],
  })
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ modules: [shipments] })
  })
  afterAll(() => server.close())

  it('lists every declared event, accepts subscriptions to them and publishes their schemas', async () => {
    const { key } = await server.createOrg()
    const types = (await server.api('GET', '/webhooks/event-types', { key })).body.data.map((t: { type: string }) => t.type)
    expect(types).toEqual(expect.arrayContaining(['shipment.dispatched', 'api_key.created', 'api_key.revoked', 'api_key.rolled', 'webhook.disabled', 'webhook.test']))
    const hook = await server.api('POST', '/webhooks', { key, body: { url: 'http://127.0.0.1:9/hook', events: ['shipment.dispatched'] } })
    expect(hook.status).toBe(201)
    const doc = await (await fetch(`${server.url}/api/v1/openapi.json`)).json()
    expect(Object.keys(doc.webhooks)).toEqual(expect.arrayContaining(['shipment.dispatched', 'webhook.disabled', 'webhook.test']))
  })
})

describe('SSRF guard', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ env: { PORTICO_WEBHOOKS_ALLOW_PRIVATE: '0' } })
  })
  afterAll(() => server.close())

  it('refuses URLs that resolve to private, loopback, link-local or metadata addresses', async () => {
    const { key } = await server.createOrg()
    for (const url of [
      'http://127.0.0.1:8080/x',
      'http://localhost/x',
      'http://169.254.169.254/latest/meta-data',
      'http://[fd00:ec2::254]/latest/meta-data',
      'http://[::1]/x',
      'http://10.1.2.3/x',
      'http://0.0.0.0/x',
      'http://2130706433/x',
      'http://[::ffff:192.168.0.1]/x',
      'http://[fe80::1]/x',
    ]) {
      const res = await server.api('POST', '/webhooks', { key, body: { url, events: ['*'] } })
      expect(res.status, url).toBe(400)
      expect(res.body.error.fields.url, url).toMatch(/refused/)
    }
    expect(isPrivateAddress('8.8.8.8')).toBe(false)
    expect(isPrivateAddress('::ffff:10.0.0.1')).toBe(true)
    expect(isPrivateAddress('fd00:ec2::254')).toBe(true)
  })

  it('refuses at delivery time too, when the name now resolves to a private address', async () => {
    const receiver = await startReceiver()
    const allowing = await startServer({ env: { PORTICO_WEBHOOKS_ALLOW_PRIVATE: '1' } })
    try {
      const { key, orgId } = await allowing.createOrg()
      await allowing.api('POST', '/webhooks', { key, body: { url: receiver.url.replace('127.0.0.1', 'localhost'), events: ['*'] } })
      await allowing.api('POST', '/keys', { key, body: { name: 'event' } })
      const { db, dialect } = allowing.portico.database
      const strict = new Dispatcher({ db, dialect, log: allowing.portico.log, outbox: new TransactionalOutbox(), auditWriter, allowPrivate: false })
      expect(await strict.tick()).toBe(1)
      const row = await webhookDb(db).selectFrom('webhook_deliveries').selectAll().where('org_id', '=', orgId).executeTakeFirstOrThrow()
      expect(row.last_error).toMatch(/private|reserved/)
      expect(receiver.received).toHaveLength(0)

      // An address literal needs no DNS (Node skips the lookup), so it is checked on its own.
      await webhookDb(db).deleteFrom('webhook_deliveries').execute()
      const literal = await allowing.api('POST', '/webhooks', { key, body: { url: receiver.url, events: ['webhook.test'] } })
      await allowing.api('POST', `/webhooks/${literal.body.id}/test`, { key })
      expect(await strict.tick()).toBe(1)
      const refused = await webhookDb(db).selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', literal.body.id).executeTakeFirstOrThrow()
      expect(refused).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null })
      expect(refused.last_error).toMatch(/127\.0\.0\.1.*private or reserved/)
      expect(receiver.received).toHaveLength(0)
    } finally {
      await allowing.close()
      await receiver.close()
    }
  })
})
