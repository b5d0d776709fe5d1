import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../core/config.js'
import { createPortico } from '../server.js'
import { createTestDatabase, engines } from '../../test/harness.js'

const root = path.resolve(import.meta.dirname, '../..')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-reseller-cli-'))
const dbUrl = `file:${path.join(dir, 'portico.db')}`
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

function cli(args: string[], databaseUrl = dbUrl) {
  const res = spawnSync(process.execPath, ['bin/portico.mjs', ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', REDIS_URL: '' },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: res.status, stdout: res.stdout, stderr: res.stderr }
}

describe('portico reseller create', () => {
  it('prints an rsk_ key once, which then provisions organisations', async () => {
    const created = cli(['reseller', 'create', '--name', 'Channel Co'])
    expect(created.code, created.stderr).toBe(0)
    expect(created.stdout).toContain('(Channel Co)')
    const key = /rsk_[0-9A-Za-z]{48}/.exec(created.stdout)?.[0]
    expect(key).toBeDefined()

    const portico = await createPortico({ config: loadConfig({ DATABASE_URL: dbUrl, PORT: '0' }), logger: pino({ level: 'silent' }) })
    try {
      const { url } = await portico.listen(0, '127.0.0.1')
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
      const health = await fetch(`${url}/api/v1/health`, { headers })
      const body = (await health.json()) as { key: { kind: string; scopes: string[] } }
      expect(body.key).toMatchObject({ kind: 'reseller', scopes: ['read', 'draft', 'actions', 'admin'] })
      const org = await fetch(`${url}/api/v1/reseller/organizations`, { method: 'POST', headers, body: JSON.stringify({ name: 'Via CLI key' }) })
      expect(org.status).toBe(201)
    } finally {
      await portico.close()
    }
  })

  it('needs --name', () => {
    const res = cli(['reseller', 'create'])
    expect(res.code).toBe(64)
    expect(res.stderr).toContain('--name is required')
  })
})

/**
 * `reseller suspend` and `resume` from the CLI while a server runs: the reseller's own keys are
 * refused from the server's next request on PostgreSQL (the CLI tells it over LISTEN/NOTIFY), and
 * once the cache TTL has passed on SQLite (here 0: no cache).
 */
describe.each(engines)('portico reseller suspend and resume (%s)', (engine) => {
  it("refuses the reseller's keys, leaves its organisations' keys working, and resumes", async () => {
    const db = await createTestDatabase(engine)
    await db.handle.close()
    const created = cli(['reseller', 'create', '--name', 'Paused Co'], db.url)
    expect(created.code, created.stderr).toBe(0)
    const resellerId = /reseller: (\S+)/.exec(created.stdout)![1]!
    const key = /rsk_[0-9A-Za-z]{48}/.exec(created.stdout)![0]
    const env = { DATABASE_URL: db.url, PORT: '0', ...(engine === 'sqlite' ? { PORTICO_KEY_CACHE_TTL: '0' } : {}) }
    const portico = await createPortico({ config: loadConfig(env), logger: pino({ level: 'silent' }) })
    try {
      await portico.start()
      const { url } = await portico.listen(0, '127.0.0.1')
      const call = (path: string, k: string, init: RequestInit = {}) =>
        fetch(`${url}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' } })
      const org = (await (await call('/reseller/organizations', key, { method: 'POST', body: '{"name":"Customer"}' })).json()) as { id: string }
      const orgKey = ((await (await call(`/reseller/organizations/${org.id}/keys`, key, { method: 'POST', body: '{"name":"k"}' })).json()) as { key: string }).key
      expect((await call('/health', key)).status).toBe(200)

      const suspended = cli(['reseller', 'suspend', '--id', resellerId], db.url)
      expect(suspended.code, suspended.stderr).toBe(0)
      expect(suspended.stdout).toContain('is suspended')
      await new Promise((r) => setTimeout(r, 200))
      const refused = await call('/health', key)
      expect(refused.status).toBe(403)
      expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'organization_suspended',
        message: 'The reseller account is suspended',
      })
      expect((await call('/health', orgKey)).status).toBe(200)
      expect(cli(['reseller', 'suspend', '--id', resellerId], db.url).stdout).toContain('is suspended already')

      expect(cli(['reseller', 'resume', '--id', resellerId], db.url).code).toBe(0)
      await new Promise((r) => setTimeout(r, 200))
      expect((await call('/health', key)).status).toBe(200)
    } finally {
      await portico.close()
      await db.drop()
    }
  }, 180_000)

  it('needs an --id that names a reseller', () => {
    expect(cli(['reseller', 'suspend']).code).toBe(64)
    const unknown = cli(['reseller', 'resume', '--id', 'nope'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('no reseller nope')
  })
})
