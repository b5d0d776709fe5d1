import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../harness.js'

/**
 * An upstream process (node:http) whose answers break: `/endless` writes a line every 50 ms until
 * its client goes away (and counts those that did, at `/closed`); `/broken` writes one line and
 * then cuts its connection.
 */
const UPSTREAM = `
import http from 'node:http'
let closed = 0
const server = http.createServer((req, res) => {
  if (req.url === '/closed') return res.end(JSON.stringify({ closed }))
  res.writeHead(200, { 'content-type': 'application/x-ndjson' })
  res.write('{"line":0}\\n')
  if (req.url === '/broken') return setTimeout(() => res.socket.destroy(), 100)
  const timer = setInterval(() => res.write('{"line":1}\\n'), 50)
  res.on('close', () => { clearInterval(timer); if (!res.writableFinished) closed++ })
})
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })))
`

describe('gateway: a streamed answer that breaks off, either way', () => {
  let upstream: ChildProcess
  let url: string
  let server: TestServer
  let key: string

  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-stream-breaks-'))
    fs.writeFileSync(path.join(dir, 'upstream.mjs'), UPSTREAM)
    upstream = spawn(process.execPath, [path.join(dir, 'upstream.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] })
    const { port } = await new Promise<{ port: number }>((resolve) => readline.createInterface({ input: upstream.stdout! }).once('line', (line) => resolve(JSON.parse(line))))
    url = `http://127.0.0.1:${port}`
    const file = path.join(dir, 'upstreams.json')
    const operation = (name: string) => ({ id: `brk.${name}`, method: 'get', path: `/brk/${name}`, upstream_path: `/${name}`, scope: 'read', summary: name })
    fs.writeFileSync(file, JSON.stringify({ upstreams: [{ name: 'brk', url, secret_env: 'BRK_SECRET', operations: [operation('endless'), operation('broken')] }] }))
    server = await startServer({ env: { PORTICO_UPSTREAMS: file, BRK_SECRET: 'brk-secret-0123456789-abcdefghijklmnop' } })
    ;({ key } = await server.createOrg('Breaks org'))
  }, 30_000)

  afterAll(async () => {
    await server?.close()
    upstream?.kill()
  })

  const closedUpstream = async () => ((await (await fetch(`${url}/closed`)).json()) as { closed: number }).closed

  it('a client that goes away ends the upstream request too, which frees its connection', async () => {
    const abort = new AbortController()
    const res = await fetch(`${server.url}/api/v1/brk/endless`, { headers: { authorization: `Bearer ${key}` }, signal: abort.signal })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('"line":0')
    const before = await closedUpstream()
    abort.abort()
    const deadline = Date.now() + 2000
    while ((await closedUpstream()) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
    expect(await closedUpstream()).toBe(before + 1)
  })

  it('an upstream that breaks off mid-answer closes the client connection instead of leaving it hanging', async () => {
    const res = await fetch(`${server.url}/api/v1/brk/broken`, { headers: { authorization: `Bearer ${key}` } })
    expect(res.status).toBe(200)
    const started = Date.now()
    const read = res.text().then(
      () => 'ended',
      () => 'failed',
    )
    const outcome = await Promise.race([read, new Promise((r) => setTimeout(() => r('hanging'), 3000))])
    expect(outcome).toBe('failed')
    expect(Date.now() - started).toBeLessThan(2000)
  })
})
