import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, engines, redisPrefix, redisUrl, type Engine, type TestDatabase } from './harness.js'

const root = path.resolve(import.meta.dirname, '..')

function startInstance(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['bin/portico.mjs', 'start'], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line)
      if (match) resolve({ url: match[1]!, child })
    })
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}`)))
  })
}

interface Pair {
  db: TestDatabase
  instances: { url: string; child: ChildProcess }[]
  admin: string
}

/** Migrates once, creates an organisation, then starts two instances on the same database, as a deployment would. */
async function startPair(engine: Engine, extra: Record<string, string>): Promise<Pair & { env: Record<string, string> }> {
  const db = await createTestDatabase(engine)
  const env = { DATABASE_URL: db.url, PORTICO_IN_PROCESS_WORKER: '0', ...extra }
  expect(spawnSync(process.execPath, ['bin/portico.mjs', 'migrate'], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' }).status).toBe(0)
  const created = spawnSync(process.execPath, ['bin/portico.mjs', 'org', 'create', '--name', 'Shared'], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' })
  const admin = /ptk_[0-9A-Za-z]{48}/.exec(created.stdout)![0]
  const instances = await Promise.all([startInstance(env), startInstance(env)])
  return { db, instances, admin, env }
}

async function stopPair(pair: Pair | undefined): Promise<void> {
  for (const { child } of pair?.instances ?? []) {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
  await pair?.db.handle.close()
  await pair?.db.drop()
}

function caller(pair: () => Pair) {
  return (i: number, method: string, p: string, key: string, body?: unknown) =>
    fetch(`${pair().instances[i]!.url}/api/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
}

/** Mints a key, has both instances cache it, revokes it on the first: the second refuses it next. */
async function revokeAcross(call: ReturnType<typeof caller>, admin: string): Promise<void> {
  const minted = (await (await call(0, 'POST', '/keys', admin, { name: 'revoke me' })).json()) as { id: string; key: string }
  expect((await call(0, 'GET', '/health', minted.key)).status).toBe(200)
  expect((await call(1, 'GET', '/health', minted.key)).status).toBe(200)
  expect((await call(0, 'DELETE', `/keys/${minted.id}`, admin)).status).toBe(200)
  // Delivery is asynchronous; allow it a moment, far below the cache TTL.
  await new Promise((r) => setTimeout(r, 150))
  const res = await call(1, 'GET', '/health', minted.key)
  expect(res.status).toBe(403)
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('api_key_revoked')
}

describe.runIf(redisUrl).each(engines)('two instances sharing one database and one Redis (%s)', (engine) => {
  let pair: Pair
  let admin: string

  beforeAll(async () => {
    // Fail-closed: if Redis is unreachable the instances answer 503 and the test fails, rather than
    // each counting on its own and passing for a shared limit.
    pair = await startPair(engine, { REDIS_URL: redisUrl!, PORTICO_REDIS_PREFIX: redisPrefix(), PORTICO_RATE_LIMIT_FAIL_OPEN: '0' })
    admin = pair.admin
  }, 120_000)
  afterAll(() => stopPair(pair))

  const call = caller(() => pair)

  it('admits no more than the limit across both, and at least 99% of it', async () => {
    const limit = 200
    const minted = (await (await call(0, 'POST', '/keys', admin, { name: 'shared quota' })).json()) as { id: string; key: string }
    const patched = await call(1, 'PATCH', `/keys/${minted.id}`, admin, { rate_limits: { general: { limit, window_seconds: 60 } } })
    expect(patched.status).toBe(200)
    let admitted = 0
    let refused = 0
    // 2× the limit, fired at both instances at once, 16 in flight per instance.
    await Promise.all(
      [0, 1].map(async (i) => {
        let left = limit
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (left-- > 0) {
              const res = await call(i, 'GET', '/health', minted.key)
              await res.arrayBuffer()
              if (res.status === 200) admitted++
              else if (res.status === 429) refused++
              else throw new Error(`unexpected ${res.status}`)
            }
          }),
        )
      }),
    )
    expect(admitted + refused).toBe(2 * limit)
    expect(admitted).toBeLessThanOrEqual(limit)
    expect(admitted).toBeGreaterThanOrEqual(Math.ceil(limit * 0.99))
  })

  it('a key revoked on one instance is refused by the other on its next request', () => revokeAcross(call, admin))
})

describe.runIf(engines.includes('postgres'))('two instances sharing PostgreSQL and no Redis', () => {
  let pair: Pair
  beforeAll(async () => {
    pair = await startPair('postgres', {})
  }, 120_000)
  afterAll(() => stopPair(pair))

  const call = caller(() => pair)

  it('a key revoked on one instance is refused by the other on its next request, over LISTEN/NOTIFY', () => revokeAcross(call, pair.admin))

  it('a scope removed on one instance is enforced by the other on its next request', async () => {
    const minted = (await (await call(0, 'POST', '/keys', pair.admin, { name: 'narrowed', scopes: ['read', 'admin'] })).json()) as { id: string; key: string }
    expect((await call(1, 'GET', '/keys', minted.key)).status).toBe(200)
    expect((await call(0, 'PATCH', `/keys/${minted.id}`, pair.admin, { scopes: ['read'] })).status).toBe(200)
    await new Promise((r) => setTimeout(r, 150))
    const res = await call(1, 'GET', '/keys', minted.key)
    expect(res.status).toBe(403)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('insufficient_scope')
  })
})
