import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditWriter } from '../audit/audit-writer.js'
import { TransactionalOutbox } from '../events/outbox.js'
import { engines, startServer, type TestServer } from '../../test/harness.js'
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

describe('SSRF guard', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ env: { PORTICO_WEBHOOKS_ALLOW_PRIVATE: '0' } })
  })
  afterAll(() => server.close())

  it('refuses URLs that resolve to private, loopback, link-local or metadata addresses', async () => {
    const { key } = await server.createOrg()
    for (const url of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/x', 'http://10.1.2.3/x', 'http://[::ffff:192.168.0.1]/x']) {
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
    } finally {
      await allowing.close()
      await receiver.close()
    }
  })
})
