import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'

const root = path.resolve(import.meta.dirname, '..')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-build-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('npm run build', () => {
  it('compiles a server that runs without tsx and serves its own assets', async () => {
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8', timeout: 150_000 })
    expect(build.status, build.stderr + build.stdout).toBe(0)
    expect(fs.existsSync(path.join(root, 'dist/examples/esign/testing.js'))).toBe(false)
    // What `npm run start:built` runs, without npm in between so the test owns the process.
    const server = spawn(process.execPath, ['-e', "import('./dist/src/main.js').then(async (m) => { process.exitCode = await m.main(['start']) })"], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: `file:${path.join(dir, 'portico.db')}`, PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    server.stderr.on('data', (d) => (output += d))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: server.stdout }).on('line', (line) => {
          output += line + '\n'
          const match = /listening on (http:\/\/\S+)/.exec(line)
          if (match) resolve(match[1]!)
        })
        server.once('exit', (code) => reject(new Error(`built server exited ${code}: ${output}`)))
      })
      for (const asset of ['/dashboard-assets/app.css', '/dashboard-assets/app.js', '/dashboard-assets/chart.umd.min.js']) {
        expect((await fetch(url + asset)).status, asset).toBe(200)
      }
      expect((await fetch(`${url}/reference`)).status).toBe(200)
      expect((await fetch(`${url}/api/v1/health`)).status).toBe(401)
    } finally {
      server.kill('SIGTERM')
    }
  }, 180_000)
})
