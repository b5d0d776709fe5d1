import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import readline from 'node:readline'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrganization } from '../src/cli.js'
import { loadConfig } from '../src/core/config.js'
import { builtInModules, migrate } from '../src/server.js'
import { createTestDatabase, deployment, engines, postgresUrl, type Deployment, type TestDatabase, type TestServer } from './harness.js'
import { postgresProxy, type TcpProxy } from './tcp-proxy.js'

const root = path.resolve(import.meta.dirname, '..')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Answer {
  status: number
  code?: string
  retryAfter: string | null
}

async function call(base: string, method: string, p: string, key: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${base}/api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  let code: string | undefined
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code
  } catch {
    // not JSON
  }
  return { status: res.status, code, retryAfter: res.headers.get('retry-after') }
}

/** Polls `ok` every 100 ms; the milliseconds until it first held, or Infinity after `withinMs`. */
async function untilOk(ok: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < withinMs) {
    if (await ok()) return Date.now() - started
    await sleep(100)
  }
  return Infinity
}

describe.runIf(engines.includes('postgres'))('PostgreSQL unreachable', () => {
  let deployed: Deployment
  let proxy: TcpProxy
  let server: TestServer
  beforeAll(async () => {
    deployed = await deployment('postgres')
    proxy = await postgresProxy()
    server = await deployed.instance({ via: proxy })
  })
  afterAll(async () => {
    await deployed.close()
    await proxy.close()
  })

  it('answers 503 service_unavailable with Retry-After, serves keys it has cached, and is not ready; all works again within 5 s', async () => {
    const { key } = await server.createOrg()
    const { key: unseen } = await server.createOrg('Not cached')
    expect((await call(server.url, 'GET', '/health', key)).status).toBe(200)
    expect((await call(server.url, 'GET', '/keys', key)).status).toBe(200)

    await proxy.stop()
    for (const [method, p, body] of [
      ['GET', '/keys', undefined],
      ['POST', '/keys', { name: 'during the outage' }],
    ] as const) {
      const res = await fetch(`${server.url}/api/v1${p}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      })
      expect(res.status, `${method} ${p}`).toBe(503)
      const envelope = (await res.json()) as { error: { code: string; retry_after: number; request_id: string } }
      expect(envelope.error.code).toBe('service_unavailable')
      expect(envelope.error.retry_after).toBeGreaterThan(0)
      expect(res.headers.get('retry-after')).toBe(String(envelope.error.retry_after))
      expect(envelope.error.request_id).toBe(res.headers.get('x-request-id'))
    }
    // A key in the cache, on an operation that needs nothing else, is served, however long the
    // outage lasts (up to the cache TTL): losing LISTEN with the database does not expire it.
    await sleep(1500)
    expect((await call(server.url, 'GET', '/health', key)).status).toBe(200)
    expect((await call(server.url, 'GET', '/catalog', key)).status).toBe(200)
    // A key that is not cached needs the database.
    expect(await call(server.url, 'GET', '/health', unseen)).toMatchObject({ status: 503, code: 'service_unavailable' })
    const ready = await fetch(`${server.url}/readyz`)
    expect(ready.status).toBe(503)
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.database).toBe('unavailable')

    await proxy.start()
    const recovered = await untilOk(async () => {
      const answers = await Promise.all([
        fetch(`${server.url}/readyz`).then((r) => r.status),
        call(server.url, 'GET', '/keys', key).then((a) => a.status),
        call(server.url, 'POST', '/keys', key, { name: 'after' }).then((a) => a.status),
        call(server.url, 'GET', '/health', unseen).then((a) => a.status),
      ])
      return answers.every((s) => s === 200 || s === 201)
    }, 10_000)
    expect(recovered).toBeLessThan(5000)
  })
})

function startInstance(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, ['bin/portico.mjs', 'start'], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line)
      if (match) resolve({ url: match[1]!, child, stderr: () => stderr })
    })
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}: ${stderr}`)))
  })
}

describe.runIf(engines.includes('postgres'))("PostgreSQL terminating Portico's connections under load", () => {
  let db: TestDatabase
  let instances: Awaited<ReturnType<typeof startInstance>>[] = []
  let admin: pg.Client
  const applicationName = `portico_${randomBytes(4).toString('hex')}`

  beforeAll(async () => {
    db = await createTestDatabase('postgres')
    await migrate(db.handle, builtInModules())
    const url = new URL(db.url)
    url.searchParams.set('application_name', applicationName)
    // Both instances dispatch webhooks too, so the dispatcher's connections are terminated as well.
    // The load is not about rate limits: a key's 300 a minute would be spent within the 4 s.
    const env = { DATABASE_URL: url.toString(), PORTICO_EXAMPLE: '0', PORTICO_RATE_LIMITS: 'general=1000000/60' }
    instances = await Promise.all([startInstance(env), startInstance(env)])
    admin = new pg.Client({ connectionString: postgresUrl })
    admin.on('error', () => {})
    await admin.connect()
  }, 120_000)
  afterAll(async () => {
    for (const { child } of instances) {
      child.kill('SIGTERM')
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r))
    }
    await admin?.end()
    await db.handle.close()
    await db.drop()
  })

  it('no instance exits; clients see only successes and 503 envelopes; all succeed again within 5 s', async () => {
    const { key } = await createOrganization(db.handle, loadConfig({ DATABASE_URL: db.url }), 'Faulted')
    const operations: [string, string, unknown?][] = [
      ['GET', '/health'],
      ['GET', '/keys'],
      ['POST', '/keys', { name: 'under termination' }],
      ['GET', '/catalog'],
    ]
    const unexpected: string[] = []
    let served = 0
    let unavailable = 0
    let running = true
    const load = instances.flatMap(({ url }) =>
      Array.from({ length: 4 }, async (_, worker) => {
        for (let i = worker; running; i++) {
          const [method, p, body] = operations[i % operations.length]!
          let answer: Answer
          try {
            answer = await call(url, method, p, key, body)
          } catch (err) {
            unexpected.push(`${method} ${p}: ${(err as Error).message}`)
            continue
          }
          if (answer.status < 300) served++
          else if (answer.status === 503 && answer.code === 'service_unavailable' && answer.retryAfter) unavailable++
          else unexpected.push(`${method} ${p}: ${answer.status} ${answer.code}`)
        }
      }),
    )
    // Their backends (pool, LISTEN, dispatcher) terminated every 200 ms for 4 s, as a restart or failover would.
    let terminated = 0
    for (let round = 0; round < 20; round++) {
      await sleep(200)
      const { rowCount } = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()', [applicationName])
      terminated += rowCount ?? 0
    }
    running = false
    await Promise.all(load)

    const recovered = await untilOk(async () => {
      const answers = await Promise.all(
        instances.flatMap(({ url }) => [...operations, ['GET', '/readyz'] as [string, string]].map(([method, p, body]) =>
          p === '/readyz' ? fetch(`${url}/readyz`).then((r) => r.status) : call(url, method, p, key, body).then((a) => a.status),
        )),
      )
      return answers.every((s) => s < 300)
    }, 10_000)

    for (const { child, stderr } of instances) {
      expect(child.exitCode, stderr()).toBeNull()
      expect(stderr()).not.toContain('unhandled error')
    }
    expect(unexpected.slice(0, 10)).toEqual([])
    expect(terminated).toBeGreaterThan(10)
    expect(unavailable + served).toBeGreaterThan(100)
    expect(recovered).toBeLessThan(5000)
  }, 120_000)
})
