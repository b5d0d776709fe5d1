import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'

const root = path.resolve(import.meta.dirname, '..')

export interface ChildServer {
  url: string
  pid: number
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  /** Resident memory of the process now, in bytes (worker threads included: they share it). */
  rss(): number
  stop(): Promise<void>
}

/** `portico start` (the shipped server, example product included) in its own process, on a free port. */
export async function startChildServer(env: Record<string, string>): Promise<ChildServer> {
  const child: ChildProcess = spawn(process.execPath, ['bin/portico.mjs', 'start'], {
    cwd: root,
    env: { ...process.env, PORT: '0', PORTICO_WEBHOOKS_ALLOW_PRIVATE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stderr!.on('data', (d) => (output += d))
  const url = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      output += line + '\n'
      const match = /listening on (http:\/\/\S+)/.exec(line)
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${output}`)))
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    url,
    pid: child.pid!,
    output: () => output,
    rss() {
      // 0 once the process is gone (a crash shows as a failed request, not as an error here).
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8')
        return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
      } catch {
        return 0
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
