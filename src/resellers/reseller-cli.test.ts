import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../core/config.js'
import { createPortico } from '../server.js'

const root = path.resolve(import.meta.dirname, '../..')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-reseller-cli-'))
const dbUrl = `file:${path.join(dir, 'portico.db')}`
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

function cli(args: string[]) {
  const res = spawnSync(process.execPath, ['bin/portico.mjs', ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: dbUrl, LOG_LEVEL: 'warn' },
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
