import { spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import readline from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrganization } from '../src/cli.js'
import { loadConfig } from '../src/core/config.js'
import { builtInModules, migrate } from '../src/server.js'
import { coreDb } from '../src/storage/db.js'
import { webhookDb } from '../src/webhooks/tables.js'
import { createTestDatabase, engines, type TestDatabase } from './harness.js'

const root = path.resolve(import.meta.dirname, '..')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const engine = engines.includes('postgres') ? 'postgres' : 'sqlite'
const DELIVERIES = 20

interface Child {
  child: ChildProcess
  stderr: () => string
  exited: Promise<number | null>
}

/** `portico start` or `portico worker`, resolved once it says it runs (with the URL for start). */
function spawnPortico(command: 'start' | 'worker', env: Record<string, string>): Promise<Child & { url: string }> {
  const child = spawn(process.execPath, ['bin/portico.mjs', command], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', PORTICO_EXAMPLE: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)|webhook worker running/.exec(line)
      if (match) resolve({ child, stderr: () => stderr, exited, url: match[1] ?? '' })
    })
    void exited.then((code) => reject(new Error(`portico ${command} exited with ${code}: ${stderr}`)))
  })
}

/** Receives webhook attempts: holds them unanswered until `answer()`, then answers 200. */
async function receiver() {
  const ids: string[] = []
  let answering = false
  const server = http.createServer((req, res) => {
    ids.push(String(req.headers['webhook-id']))
    req.resume()
    if (answering) res.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    ids,
    answer: () => void (answering = true),
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** GET over a keep-alive agent, with whether the socket was reused and whether the answer closes it. */
function get(agent: http.Agent, url: string, key: string): Promise<{ status: number; close: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${key}` } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode!, close: res.headers.connection === 'close' }))
    })
    req.on('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { reused: req.reusedSocket })))
  })
}

describe(`SIGTERM under load (${engine})`, () => {
  let db: TestDatabase
  let key: string
  let orgId: string
  const children: Child[] = []

  beforeAll(async () => {
    db = await createTestDatabase(engine)
    await migrate(db.handle, builtInModules())
    ;({ key, org: { id: orgId } } = await createOrganization(db.handle, loadConfig({ DATABASE_URL: db.url }), 'Draining'))
  })
  afterAll(async () => {
    for (const { child, exited } of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    }
    await db.handle.close()
    await db.drop()
  })

  it('no reset, no 5xx, exit within 10 s, counters flushed; leased deliveries are resent with the same webhook-id', async () => {
    const hook = await receiver()
    // A lease far longer than the test: a delivery sent again was handed back, not left to expire.
    const env = {
      DATABASE_URL: db.url,
      PORTICO_IN_PROCESS_WORKER: '0',
      PORTICO_WEBHOOKS_ALLOW_PRIVATE: '1',
      PORTICO_WEBHOOK_LEASE_SECONDS: '600',
      PORTICO_RATE_LIMITS: 'general=1000000/60',
    }
    const api = await spawnPortico('start', env)
    children.push(api)
    const post = (p: string, body: unknown) =>
      fetch(`${api.url}/api/v1${p}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    expect((await post('/webhooks', { url: hook.url, events: ['api_key.created'] })).status).toBe(201)
    let served = 1
    for (let i = 0; i < DELIVERIES; i++) {
      expect((await post('/keys', { name: `event ${i}` })).status).toBe(201)
      served++
    }
    // The worker leases them all in one batch, each attempt held open by the receiver.
    const worker = await spawnPortico('worker', env)
    children.push(worker)
    const waitedFrom = Date.now()
    while (hook.ids.length < DELIVERIES && Date.now() - waitedFrom < 20_000) await sleep(50)
    expect(hook.ids.length).toBe(DELIVERIES)
    const firstIds = new Set(hook.ids)

    // 16 keep-alive connections, each sending its next request as soon as the last is answered.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 })
    const statuses = new Map<number, number>()
    const failures: string[] = []
    let closedAfterSignal = 0
    let signalledAt = 0
    const load = Array.from({ length: 16 }, async () => {
      for (;;) {
        try {
          const { status, close } = await get(agent, `${api.url}/api/v1/health`, key)
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
          if (status < 300) served++
          if (signalledAt && close) closedAfterSignal++
        } catch (err) {
          const { code, reused } = err as NodeJS.ErrnoException & { reused: boolean }
          // Refused on a new connection: the instance no longer accepts, as a balancer would see it.
          if (code === 'ECONNREFUSED' && signalledAt) return
          failures.push(`${code} on a ${reused ? 'reused' : 'new'} connection`)
          if (failures.length > 20) return
        }
      }
    })
    await sleep(1000)
    signalledAt = Date.now()
    api.child.kill('SIGTERM')
    worker.child.kill('SIGTERM')
    const [apiCode, workerCode] = await Promise.all([api.exited, worker.exited])
    const tookMs = Date.now() - signalledAt
    await Promise.all(load)
    agent.destroy()

    expect(failures).toEqual([])
    expect([...statuses.keys()]).toEqual([200])
    expect(closedAfterSignal).toBeGreaterThan(0)
    expect({ apiCode, workerCode }).toEqual({ apiCode: 0, workerCode: 0 })
    expect(tookMs).toBeLessThan(10_000)
    expect(api.stderr() + worker.stderr()).not.toMatch(/"level":(50|60)/)

    // Counters flushed on the way out: every request answered is counted, and the key's last use is recorded.
    const usage = await coreDb(db.handle.db).selectFrom('usage_daily').select(['outcome', 'count']).where('org_id', '=', orgId).execute()
    expect(usage.filter((u) => u.outcome === '2xx').reduce((n, u) => n + Number(u.count), 0)).toBe(served)
    const first = await coreDb(db.handle.db).selectFrom('api_keys').select('last_used_at').where('name', '=', 'First key').where('org_id', '=', orgId).executeTakeFirstOrThrow()
    expect(first.last_used_at).not.toBeNull()

    // Handed back, not left leased: pending again, no attempt counted.
    const rows = await webhookDb(db.handle.db).selectFrom('webhook_deliveries').select(['status', 'lease_until', 'attempts']).where('org_id', '=', orgId).execute()
    expect(rows).toHaveLength(DELIVERIES)
    expect(rows.every((r) => r.status === 'pending' && r.lease_until === null && r.attempts === 0)).toBe(true)

    // Another worker sends them within 10 s, with the same webhook-ids.
    hook.answer()
    const resent = hook.ids.length
    const again = await spawnPortico('worker', env)
    children.push(again)
    const startedAt = Date.now()
    while (hook.ids.length - resent < DELIVERIES && Date.now() - startedAt < 10_000) await sleep(50)
    expect(new Set(hook.ids.slice(resent))).toEqual(firstIds)
    again.child.kill('SIGTERM')
    expect(await again.exited).toBe(0)
    await hook.close()
  }, 120_000)
})
