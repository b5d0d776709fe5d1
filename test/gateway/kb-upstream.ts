import { spawn } from 'node:child_process'
import path from 'node:path'
import readline from 'node:readline'

const root = path.resolve(import.meta.dirname, '../..')

export interface SeenRequest {
  method: string
  path: string
  headers: Record<string, string>
  body: string
}

export interface KbUpstream {
  url: string
  port: number
  /** Every request that reached the service, in order (its KB_DEBUG log). */
  seen(): Promise<SeenRequest[]>
  output(): string
  stop(): Promise<void>
}

/** The example knowledge-base service (examples/kb, Python standard library) in its own process. */
export async function startKb(secret: string, env: Record<string, string> = {}): Promise<KbUpstream> {
  const child = spawn('python3', ['examples/kb/kb_server.py'], {
    cwd: root,
    env: { ...process.env, PORTICO_KB_SECRET: secret, KB_PORT: '0', KB_DEBUG: '1', PYTHONUNBUFFERED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stderr.on('data', (d) => (output += d))
  const url = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      output += line + '\n'
      const m = /kb listening on (http:\/\/\S+)/.exec(line)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`kb exited ${code}: ${output}`)))
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    url,
    port: Number(new URL(url).port),
    async seen() {
      const res = await fetch(`${url}/_debug/requests`)
      return ((await res.json()) as { data: SeenRequest[] }).data
    },
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
