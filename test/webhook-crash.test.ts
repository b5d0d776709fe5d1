import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditWriter } from '../src/audit/audit-writer.js'
import { runInTransaction, systemMeta } from '../src/core/transaction.js'
import { TransactionalOutbox } from '../src/events/outbox.js'
import { webhookDb } from '../src/webhooks/tables.js'
import { WebhookService } from '../src/webhooks/webhook-service.js'
import { engines, startServer, type TestServer } from './harness.js'
import { startReceiver, waitFor } from './webhook-receiver.js'

const root = path.resolve(import.meta.dirname, '..')
const EVENTS = 1000

function startWorker(server: TestServer): ChildProcess {
  return spawn(process.execPath, ['bin/portico.mjs', 'worker'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: server.db.url, PORTICO_WEBHOOKS_ALLOW_PRIVATE: '1', PORTICO_WEBHOOK_LEASE_SECONDS: '2', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

describe.each(engines)('a webhook worker killed mid-backlog (%s)', (engine) => {
  let server: TestServer
  beforeAll(async () => {
    // The API process does not dispatch: the worker process does.
    server = await startServer({ engine })
  })
  afterAll(() => server.close())

  it('delivers every one of 1,000 events after SIGKILL and restart; duplicates share their webhook-id', async () => {
    const receiver = await startReceiver()
    const { key, orgId } = await server.createOrg()
    await server.api('POST', '/webhooks', { key, body: { url: receiver.url, events: ['*'] } })
    const { db } = server.portico.database
    const outbox = new TransactionalOutbox()
    outbox.onAppend(new WebhookService(db, true, () => [], () => {}).fanOut)
    for (let batch = 0; batch < EVENTS / 100; batch++) {
      await runInTransaction({ db, outbox, auditWriter }, null, systemMeta(), orgId, async (tx) => {
        for (let i = 0; i < 100; i++) await tx.emit('backlog.item', { n: batch * 100 + i })
      })
    }

    let worker = startWorker(server)
    await waitFor(() => receiver.received.length >= 150, 60_000)
    worker.kill('SIGKILL')
    await new Promise((r) => worker.once('exit', r))
    const atKill = receiver.received.length
    expect(atKill).toBeLessThan(EVENTS)

    worker = startWorker(server)
    try {
      const seen = () => new Set(receiver.received.map((r) => (JSON.parse(r.body) as { data: { n: number } }).data.n))
      await waitFor(() => seen().size === EVENTS, 90_000)
    } finally {
      worker.kill('SIGTERM')
      await new Promise((r) => worker.once('exit', r))
    }
    const idsByEvent = new Map<number, Set<string>>()
    for (const r of receiver.received) {
      const n = (JSON.parse(r.body) as { data: { n: number } }).data.n
      idsByEvent.set(n, (idsByEvent.get(n) ?? new Set()).add(r.headers['webhook-id']!))
    }
    expect(idsByEvent.size).toBe(EVENTS)
    for (const ids of idsByEvent.values()) expect(ids.size).toBe(1)
    // Every delivery ends settled, none stranded in a dead worker's lease.
    const rows = await webhookDb(db).selectFrom('webhook_deliveries').select(['status', 'lease_until']).where('org_id', '=', orgId).execute()
    expect(rows).toHaveLength(EVENTS)
    expect(rows.every((r) => r.status === 'succeeded' && r.lease_until === null)).toBe(true)
    await receiver.close()
  }, 180_000)
})
