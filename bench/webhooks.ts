/**
 * Webhook delivery throughput and first-attempt latency on SQLite: Portico (API process with its
 * in-process dispatcher) pinned to core 0, a local receiver pinned to core 1.
 * Usage: node --import tsx bench/webhooks.ts [events=2000]
 */
import { spawn, spawnSync } from 'node:child_process'
import readline from 'node:readline'
import { pino } from 'pino'
import { auditWriter } from '../src/audit/audit-writer.js'
import { createOrganization } from '../src/cli.js'
import { loadConfig } from '../src/core/config.js'
import type { TransactionScope } from '../src/core/context.js'
import { runInTransaction, systemMeta } from '../src/core/transaction.js'
import { TransactionalOutbox } from '../src/events/outbox.js'
import { createPortico } from '../src/server.js'
import { WebhookService } from '../src/webhooks/webhook-service.js'
// @ts-expect-error plain JS helpers
import { median, pinned, tempDatabaseUrl } from './lib.mjs'

const total = Number(process.argv[2] ?? 2000)
// This process (API + in-process dispatcher) on core 0, every thread of it; the receiver on core 1.
const canPin = (pinned(0, process.execPath, []) as [string])[0] === 'taskset'
if (canPin) spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' })
const [cmd, args] = pinned(1, process.execPath, ['bench/webhook-receiver.mjs']) as [string, string[]]
const receiver = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
const lines = readline.createInterface({ input: receiver.stdout! })
const nextLine = () => new Promise<string>((resolve) => lines.once('line', resolve))
const { url } = JSON.parse(await nextLine()) as { url: string }

try {
  const config = loadConfig({ DATABASE_URL: tempDatabaseUrl('webhooks'), PORTICO_WEBHOOKS_ALLOW_PRIVATE: '1' })
  const portico = await createPortico({ config, logger: pino({ level: 'warn' }) })
  await portico.start()
  const { org } = await createOrganization(portico.database, config, 'Bench')
  const db = portico.database.db
  // The bench commits events through its own outbox, fanned out exactly as the server's is.
  const outbox = new TransactionalOutbox()
  outbox.onAppend(new WebhookService(db, true, () => [], () => portico.services.webhookDispatcher.nudge()).fanOut)
  const transact = <T>(fn: (tx: TransactionScope) => Promise<T>) => runInTransaction({ db, outbox, auditWriter }, null, systemMeta(), org.id, fn)
  await portico.services.webhooks.create(transact, org.id, { url, events: ['*'] })
  const committed = new Map<number, number>()
  const emit = async (from: number, count: number) => {
    await transact(async (tx) => {
      for (let i = from; i < from + count; i++) await tx.emit('bench.event', { n: i })
    })
    const at = Date.now()
    for (let i = from; i < from + count; i++) committed.set(i, at)
  }
  // Latency: one event per transaction, spaced out, so each is a first attempt on an idle queue.
  const latencyEvents = 200
  for (let i = 0; i < latencyEvents; i++) {
    await emit(i, 1)
    await new Promise((r) => setTimeout(r, 10))
  }
  // Throughput: a backlog committed in batches of 100, drained as fast as the dispatcher goes.
  const started = Date.now()
  for (let i = latencyEvents; i < latencyEvents + total; i += 100) await emit(i, Math.min(100, latencyEvents + total - i))
  const wdb = db as unknown as import('kysely').Kysely<{ webhook_deliveries: { status: string } }>
  for (;;) {
    const left = await wdb.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '!=', 'succeeded').executeTakeFirstOrThrow()
    if (Number(left.n) === 0) break
    await new Promise((r) => setTimeout(r, 20))
  }
  receiver.kill('SIGTERM')
  const seen = JSON.parse(await nextLine()) as Record<string, number>
  const lastReceipt = Math.max(...Object.entries(seen).filter(([n]) => Number(n) >= latencyEvents).map(([, at]) => at))
  const latencies = Array.from({ length: latencyEvents }, (_, n) => seen[n]! - committed.get(n)!).sort((a, b) => a - b)
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!
  console.log(`throughput: ${total} deliveries in ${((lastReceipt - started) / 1000).toFixed(2)} s = ${Math.round(total / ((lastReceipt - started) / 1000))} deliveries/s (target ≥ 500)`)
  console.log(`first-attempt latency, commit → receipt, ${latencyEvents} events: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, median ${median(latencies)} ms (target p50 < 100 ms)`)
  await portico.close()
} finally {
  receiver.kill('SIGKILL')
}
process.exit(0)
