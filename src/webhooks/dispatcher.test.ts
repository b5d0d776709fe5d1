import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { auditWriter } from '../audit/audit-writer.js'
import { runInTransaction, systemMeta } from '../core/transaction.js'
import { TransactionalOutbox } from '../events/outbox.js'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { startReceiver } from '../../test/webhook-receiver.js'
import { Dispatcher, type DispatcherOptions } from './dispatcher.js'
import { webhookDb } from './tables.js'
import { WebhookService } from './webhook-service.js'

describe.each(engines)('webhook dispatcher (%s)', (engine) => {
  // No background dispatcher: each test drives its own, with its own options and clock.
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ engine })
  })
  afterAll(() => server.close())
  // Each test starts from an empty queue: what one leaves pending must not be claimed by the next.
  afterEach(() => webhookDb(server.portico.database.db).deleteFrom('webhook_deliveries').execute())

  /** A fresh organisation subscribed to everything at `url`, with `count` events committed for it. */
  async function backlog(url: string, count: number) {
    const { key, orgId } = await server.createOrg()
    const hook = (await server.api('POST', '/webhooks', { key, body: { url, events: ['*'] } })).body as { id: string }
    const { db } = server.portico.database
    const outbox = new TransactionalOutbox()
    outbox.onAppend(new WebhookService(db, true, () => [], () => {}).fanOut)
    await runInTransaction({ db, outbox, auditWriter }, null, systemMeta(), orgId, async (tx) => {
      for (let n = 0; n < count; n++) await tx.emit('backlog.item', { n })
    })
    const deliveries = () => webhookDb(db).selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', hook.id).orderBy('created_at').execute()
    return { orgId, hook, deliveries }
  }

  const dispatcher = (options: Partial<DispatcherOptions> = {}) => {
    const { db, dialect } = server.portico.database
    return new Dispatcher({ db, dialect, log: server.portico.log, outbox: new TransactionalOutbox(), auditWriter, allowPrivate: true, ...options })
  }

  it('two dispatchers working one backlog at once never send a delivery twice', async () => {
    const receiver = await startReceiver()
    const { deliveries } = await backlog(receiver.url, 300)
    const a = dispatcher({ batchSize: 40 })
    const b = dispatcher({ batchSize: 40 })
    for (;;) {
      const [x, y] = await Promise.all([a.tick(), b.tick()])
      if (x + y === 0) break
    }
    const ids = receiver.received.map((r) => r.headers['webhook-id'])
    expect(ids).toHaveLength(300)
    expect(new Set(ids).size).toBe(300)
    expect((await deliveries()).every((d) => d.status === 'succeeded' && d.attempts === 1)).toBe(true)
    await receiver.close()
  })

  it('gives up on a receiver that never answers within the lease, and schedules a retry', async () => {
    const receiver = await startReceiver(() => new Promise(() => {}))
    const { deliveries } = await backlog(receiver.url, 1)
    expect(await dispatcher({ leaseMs: 1500 }).tick()).toBe(1)
    const [row] = await deliveries()
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null, lease_until: null })
    expect(row!.last_error).toMatch(/timed out/)
    await receiver.close()
  })

  it('reads no more than a bounded response body, and counts only 2xx as success', async () => {
    const receiver = await startReceiver((n) => (n === 1 ? { status: 200, body: 'x'.repeat(1_000_000) } : { status: 302, headers: { location: '/elsewhere' } }))
    const { deliveries } = await backlog(receiver.url, 2)
    const d = dispatcher({ concurrency: 1 })
    expect(await d.tick()).toBe(2)
    const rows = await deliveries()
    expect(rows.map((r) => [r.status, r.last_status_code]).sort()).toEqual([
      ['pending', 302],
      ['succeeded', 200],
    ])
    await receiver.close()
  })

  it('hands back what it could not start before its lease ran short', async () => {
    let clock = 0
    // Each request takes 8.5 s of the dispatcher's (fake) time out of a 10 s lease.
    const receiver = await startReceiver(() => {
      clock += 8_500
      return 200
    })
    const { deliveries } = await backlog(receiver.url, 3)
    clock = Date.now()
    const d = dispatcher({ leaseMs: 10_000, concurrency: 1, now: () => clock })
    expect(await d.tick()).toBe(3)
    expect(receiver.received).toHaveLength(1)
    const rows = await deliveries()
    expect(rows.filter((r) => r.status === 'pending' && r.lease_until === null && r.attempts === 0)).toHaveLength(2)
    await d.tick()
    await d.tick()
    expect((await deliveries()).every((r) => r.status === 'succeeded')).toBe(true)
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(3)
    await receiver.close()
  })

  it("leaves a live lease alone and reclaims an expired one (a crashed worker's claim)", async () => {
    const receiver = await startReceiver()
    const { deliveries } = await backlog(receiver.url, 1)
    const wdb = webhookDb(server.portico.database.db)
    const [row] = await deliveries()
    const lease = (ms: number) => wdb.updateTable('webhook_deliveries').set({ status: 'sending', lease_until: new Date(Date.now() + ms).toISOString() }).where('id', '=', row!.id).execute()
    await lease(60_000)
    expect(await dispatcher().tick()).toBe(0)
    await lease(-1000)
    expect(await dispatcher().tick()).toBe(1)
    expect(receiver.received[0]!.headers['webhook-id']).toBe(row!.msg_id)
    expect((await deliveries())[0]!.status).toBe('succeeded')
    await receiver.close()
  })
})
