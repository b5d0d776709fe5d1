/**
 * Portico at deployment scale, on PostgreSQL (and Redis), with real `portico start` / `portico
 * worker` processes. Prints:
 *  1. revocation delay across two instances: from the revoke's answer on instance A to instance B's
 *     first refusal, p50/p99, over Redis and over PostgreSQL LISTEN/NOTIFY alone;
 *  2. cache-miss key look-up latency (key cache off) with 1,000 and with 1,000,000 keys stored,
 *     measured in alternating rounds so both see the same machine;
 *  3. webhook deliveries per second with two worker processes draining one backlog (and one, for
 *     comparison), and how many were delivered twice.
 * Usage: node --import tsx bench/scale.ts  (BENCH_POSTGRES_URL, BENCH_REDIS_URL; default the local ones)
 * Figures on a shared machine are indicative only: the processes compete for the same cores.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import readline from 'node:readline'
import { sql } from 'kysely'
import { auditWriter } from '../src/audit/audit-writer.js'
import { createOrganization } from '../src/cli.js'
import { loadConfig } from '../src/core/config.js'
import type { TransactionScope } from '../src/core/context.js'
import { runInTransaction, systemMeta } from '../src/core/transaction.js'
import { TransactionalOutbox } from '../src/events/outbox.js'
import { builtInModules, migrate } from '../src/server.js'
import type { DatabaseHandle } from '../src/storage/db.js'
import { createPostgresDatabase, dropSchema, ensureSchema } from '../src/storage/postgres.js'
import { WebhookService } from '../src/webhooks/webhook-service.js'
// @ts-expect-error plain JS helpers
import { fmt, root } from './lib.mjs'

const postgresUrl = process.env.BENCH_POSTGRES_URL ?? process.env.PORTICO_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.PORTICO_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const REVOCATIONS = Number(process.env.BENCH_REVOCATIONS ?? 50)
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 4000)
const MANY_KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}
const ms = (n: number) => `${fmt(n, n < 10 ? 1 : 0)} ms`

interface Schema {
  database: DatabaseHandle
  url: string
  drop(): Promise<void>
}

/** A fresh schema, migrated; `url` lands a child process in it. */
async function schema(): Promise<Schema> {
  const name = `bench_${randomBytes(5).toString('hex')}`
  await ensureSchema(postgresUrl, name)
  const database = createPostgresDatabase(postgresUrl, { schema: name })
  await migrate(database, builtInModules())
  const url = new URL(postgresUrl)
  url.searchParams.set('options', `-c search_path=${name}`)
  return {
    database,
    url: url.toString(),
    drop: async () => {
      await database.close()
      await dropSchema(postgresUrl, name)
    },
  }
}

const children = new Set<ChildProcess>()

/** `portico start` or `portico worker`; resolves once it runs (with its URL for start). */
function portico(command: 'start' | 'worker', env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const inherited = { ...process.env }
  delete inherited.DATABASE_URL
  delete inherited.REDIS_URL
  const child = spawn(process.execPath, ['bin/portico.mjs', command], {
    cwd: root,
    env: { ...inherited, PORT: '0', LOG_LEVEL: 'warn', PORTICO_EXAMPLE: '0', PORTICO_IN_PROCESS_WORKER: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)|webhook worker running/.exec(line)
      if (match) resolve({ url: match[1] ?? '', child })
    })
    child.once('exit', (code) => reject(new Error(`portico ${command} exited with ${code}`)))
  })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

async function api(base: string, method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  return { status: res.status, body: await res.json() }
}

// Requests here far outnumber the default 300/min; the limiter is not what is measured.
const unlimited = { PORTICO_RATE_LIMITS: 'general=100000000/60' }

/** 1. From the revoke's answer on A to B's first refusal (B polls as fast as it answers). */
async function revocationDelay(channel: string, env: Record<string, string>): Promise<void> {
  const s = await schema()
  try {
    const { key: admin } = await createOrganization(s.database, loadConfig({ DATABASE_URL: s.url }), 'Bench')
    const [a, b] = await Promise.all([portico('start', { DATABASE_URL: s.url, ...unlimited, ...env }), portico('start', { DATABASE_URL: s.url, ...unlimited, ...env })])
    const delays: number[] = []
    let atOnce = 0
    for (let i = 0; i < REVOCATIONS; i++) {
      const minted = await api(a.url, 'POST', '/keys', admin, { name: `revoke ${i}` })
      if ((await api(a.url, 'GET', '/health', minted.body.key)).status !== 200) throw new Error('minted key refused on A')
      if ((await api(b.url, 'GET', '/health', minted.body.key)).status !== 200) throw new Error('minted key refused on B')
      await api(a.url, 'DELETE', `/keys/${minted.body.id}`, admin)
      const acknowledged = performance.now()
      for (let polls = 0; ; polls++) {
        const r = await api(b.url, 'GET', '/health', minted.body.key)
        if (r.status === 403) {
          delays.push(performance.now() - acknowledged)
          if (polls === 0) atOnce++
          break
        }
        if (performance.now() - acknowledged > 60_000) throw new Error('B never refused the revoked key')
      }
      await sleep(20)
    }
    console.log(
      `revocation delay, A's answer → B's first refusal (${channel}, ${REVOCATIONS} trials): p50 ${ms(quantile(delays, 0.5))}, p99 ${ms(quantile(delays, 0.99))}, max ${ms(Math.max(...delays))}; refused on B's very next request in ${atOnce}/${REVOCATIONS}`,
    )
    await Promise.all([stop(a.child), stop(b.child)])
  } finally {
    await s.drop()
  }
}

/** Stored keys (random hashes) up to `count` in all, written by the database itself. */
async function fillKeys(database: DatabaseHandle, orgId: string, count: number): Promise<void> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from api_keys`.execute(database.db)
  const have = Number(rows[0]!.n)
  for (let from = have; from < count; from += 100_000) {
    const to = Math.min(count, from + 100_000)
    await sql`
      insert into api_keys (id, owner_type, org_id, name, prefix, hash, scopes, created_at, created_by_type)
      select gen_random_uuid()::text, 'org', ${orgId}, 'bulk', 'ptk_' || substr(md5(i::text), 1, 8),
             encode(sha256(convert_to('bulk key ' || i, 'UTF8')), 'hex'), '["read"]', to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'operator'
      from generate_series(${from + 1}::int, ${to}::int) as i`.execute(database.db)
  }
  await sql`analyze api_keys`.execute(database.db)
}

/** 2. Every request a cache miss (PORTICO_KEY_CACHE_TTL=0); rounds alternate between the two stores. */
async function lookUpLatency(): Promise<void> {
  const small = await schema()
  const large = await schema()
  try {
    const variants = []
    for (const [s, count] of [
      [small, 1_000],
      [large, MANY_KEYS],
    ] as const) {
      const { key, org } = await createOrganization(s.database, loadConfig({ DATABASE_URL: s.url }), 'Bench')
      const started = Date.now()
      await fillKeys(s.database, org.id, count)
      console.log(`  (stored ${fmt(count)} keys in ${((Date.now() - started) / 1000).toFixed(1)} s)`)
      const instance = await portico('start', { DATABASE_URL: s.url, PORTICO_KEY_CACHE_TTL: '0', ...unlimited })
      variants.push({ count, key, instance, latencies: [] as number[] })
    }
    for (const v of variants) for (let i = 0; i < 200; i++) await api(v.instance.url, 'GET', '/health', v.key)
    for (let round = 0; round < 10; round++) {
      for (const v of round % 2 ? [...variants].reverse() : variants) {
        for (let i = 0; i < 300; i++) {
          const t = performance.now()
          const r = await api(v.instance.url, 'GET', '/health', v.key)
          v.latencies.push(performance.now() - t)
          if (r.status !== 200) throw new Error(`look-up answered ${r.status}`)
        }
      }
    }
    const [few, many] = variants
    for (const v of variants) {
      console.log(`cache-miss look-up, ${fmt(v.count)} keys stored, GET /health end to end (${v.latencies.length} requests): p50 ${ms(quantile(v.latencies, 0.5))}, p99 ${ms(quantile(v.latencies, 0.99))}`)
    }
    const ratio = (q: number) => (quantile(many!.latencies, q) / quantile(few!.latencies, q)).toFixed(2)
    console.log(`  ${fmt(MANY_KEYS)} keys / 1,000 keys: p50 ${ratio(0.5)}×, p99 ${ratio(0.99)}×`)
    await Promise.all(variants.map((v) => stop(v.instance.child)))
  } finally {
    await small.drop()
    await large.drop()
  }
}

/** 3. A backlog committed first, then drained by `workers` worker processes into a local receiver. */
async function deliveries(workers: number): Promise<void> {
  const s = await schema()
  const received = new Map<number, number>()
  const times: number[] = []
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const n = (JSON.parse(Buffer.concat(chunks).toString()) as { data: { n: number } }).data.n
      received.set(n, (received.get(n) ?? 0) + 1)
      times.push(Date.now())
      res.writeHead(200).end()
    })
  })
  receiver.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  try {
    const { org } = await createOrganization(s.database, loadConfig({ DATABASE_URL: s.url }), 'Bench')
    const db = s.database.db
    const outbox = new TransactionalOutbox()
    outbox.onAppend(new WebhookService(db, true, () => [], () => {}).fanOut)
    const transact = <T>(fn: (tx: TransactionScope) => Promise<T>) => runInTransaction({ db, outbox, auditWriter }, null, systemMeta(), org.id, fn)
    const webhooks = new WebhookService(db, true, () => [], () => {})
    await webhooks.create(transact, org.id, { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['*'] })
    for (let i = 0; i < DELIVERIES; i += 100) {
      await transact(async (tx) => {
        for (let n = i; n < Math.min(DELIVERIES, i + 100); n++) await tx.emit('bench.event', { n })
      })
    }
    const env = { DATABASE_URL: s.url, PORTICO_WEBHOOKS_ALLOW_PRIVATE: '1' }
    const started = Date.now()
    const running = await Promise.all(Array.from({ length: workers }, () => portico('worker', env)))
    while (received.size < DELIVERIES && Date.now() - started < 300_000) await sleep(50)
    const first = Math.min(...times)
    const last = Math.max(...times)
    const twice = [...received.values()].filter((c) => c > 1).length
    console.log(
      `webhook deliveries, ${workers} worker process${workers > 1 ? 'es' : ''} on PostgreSQL, ${fmt(DELIVERIES)} queued: ${fmt(received.size)} delivered in ${((last - first) / 1000).toFixed(2)} s = ${fmt((received.size - 1) / ((last - first) / 1000))} deliveries/s (first to last receipt); ${twice} delivered twice`,
    )
    await Promise.all(running.map((w) => stop(w.child)))
  } finally {
    receiver.closeAllConnections()
    receiver.close()
    await s.drop()
  }
}

try {
  console.log(`bench/scale on ${new URL(postgresUrl).host} (PostgreSQL) and ${new URL(redisUrl).host} (Redis)`)
  await revocationDelay('Redis pub/sub and LISTEN/NOTIFY', { REDIS_URL: redisUrl, PORTICO_REDIS_PREFIX: `bench-${randomBytes(3).toString('hex')}:` })
  await revocationDelay('LISTEN/NOTIFY alone, no Redis', {})
  await lookUpLatency()
  await deliveries(2)
  await deliveries(1)
} finally {
  for (const child of children) child.kill('SIGKILL')
}
process.exit(0)
