import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { root, runPortico } from './cli-process.js'
import { loadConfig, ConfigError } from '../src/core/config.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-cli-'))
const dbUrl = `file:${path.join(dir, 'portico.db')}`
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const cli = (args: string[], env: Record<string, string> = {}) => runPortico(dbUrl, args, env)

describe('configuration', () => {
  it('stops on a bad setting with one line naming the variable', () => {
    for (const [name, value] of [
      ['PORT', 'abc'],
      ['DATABASE_URL', 'mysql://x'],
      ['PORTICO_WEBHOOKS_ALLOW_PRIVATE', 'yes'],
      ['REDIS_URL', 'not a url'],
      ['PORTICO_KEY_PREFIX', 'Bad_Prefix'],
      ['PORTICO_TRUST_PROXY', 'yes'],
      ['PORTICO_METRICS_TOKEN', 'short'],
    ] as const) {
      const res = cli(['start'], { [name]: value })
      expect(res.code, name).not.toBe(0)
      const lines = res.stderr.trim().split('\n')
      expect(lines, res.stderr).toHaveLength(1)
      expect(lines[0]).toContain(name)
    }
  }, 180_000)

  it('accepts 1/true/0/false and relative or absolute file: paths', () => {
    expect(loadConfig({ PORTICO_WEBHOOKS_ALLOW_PRIVATE: 'true' }).webhooksAllowPrivate).toBe(true)
    expect(loadConfig({ PORTICO_WEBHOOKS_ALLOW_PRIVATE: '0' }).webhooksAllowPrivate).toBe(false)
    expect(loadConfig({ DATABASE_URL: 'file:./x/y.db' }).database).toEqual({ kind: 'sqlite', file: path.resolve('x/y.db') })
    expect(loadConfig({ DATABASE_URL: 'file:/tmp/y.db' }).database).toEqual({ kind: 'sqlite', file: '/tmp/y.db' })
    expect(loadConfig({}).database).toEqual({ kind: 'sqlite', file: path.resolve('data/portico.db') })
    expect(() => loadConfig({ PORT: '70000' })).toThrow(ConfigError)
  })
})

describe('portico CLI', () => {
  it('migrates, creates an organisation while the server runs on the same SQLite file, and never logs a key', async () => {
    expect(cli(['migrate']).code).toBe(0)
    const server = spawn(process.execPath, ['bin/portico.mjs', 'start'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: dbUrl, PORT: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let logs = ''
    server.stderr.on('data', (d) => (logs += d))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const lines = readline.createInterface({ input: server.stdout })
        lines.on('line', (line) => {
          logs += line + '\n'
          const match = /listening on (http:\/\/\S+)/.exec(line)
          if (match) resolve(match[1]!)
        })
        server.once('exit', (code) => reject(new Error(`server exited ${code}: ${logs}`)))
      })
      const created = cli(['org', 'create', '--name', 'Acme'])
      expect(created.code, created.stderr).toBe(0)
      const key = /ptk_[0-9A-Za-z]{48}/.exec(created.stdout)?.[0]
      expect(key).toBeDefined()
      const health = await fetch(`${url}/api/v1/health`, { headers: { authorization: `Bearer ${key}` } })
      expect(health.status).toBe(200)
      expect(((await health.json()) as { key: { scopes: string[] } }).key.scopes).toEqual(['read', 'draft', 'actions', 'admin'])
      const minted = await fetch(`${url}/api/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'logged?' }),
      })
      const mintedKey = ((await minted.json()) as { key: string }).key
      await fetch(`${url}/api/v1/health`, { headers: { 'x-api-key': mintedKey } })
      await fetch(`${url}/api/v1/health`, { headers: { authorization: mintedKey.slice(0, -1) + (mintedKey.endsWith('x') ? 'y' : 'x') } })
      await new Promise((r) => setTimeout(r, 200))
      expect(logs).toContain('"status":200')
      expect(logs).not.toContain(key!.slice(4))
      expect(logs).not.toContain(mintedKey.slice(4))
      expect(logs).not.toContain(mintedKey.slice(4, -1))
    } finally {
      server.kill('SIGTERM')
      await new Promise((r) => server.once('exit', r))
    }
  }, 120_000)

  it('prints usage for an unknown command and fails', () => {
    const res = cli(['frobnicate'])
    expect(res.code).not.toBe(0)
    expect(res.stderr).toContain('unknown command "frobnicate"')
  })
})
