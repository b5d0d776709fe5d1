// Shared helpers for the benchmark scripts: a pinned server, a pinned load generator, medians.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const hasTaskset = fs.existsSync('/usr/bin/taskset')
const cores = os.cpus().length

/** Prefix a command with `taskset -c <core>` when there are cores to pin to. */
export function pinned(core, command, args) {
  if (!hasTaskset || cores < 2) return [command, args]
  return ['taskset', ['-c', String(core), command, ...args]]
}

/**
 * Starts a node script (TypeScript via tsx) pinned to `core`; resolves with its first JSON line.
 * The server sees this process's environment with `env` over it; DATABASE_URL and REDIS_URL only
 * when `env` names them, so a variant meant to run in process never reaches Redis by inheritance.
 */
export function startServer(script, env = {}, core = 0) {
  const [cmd, args] = pinned(core, process.execPath, ['--import', 'tsx', script])
  const inherited = { ...process.env }
  delete inherited.DATABASE_URL
  delete inherited.REDIS_URL
  const child = spawn(cmd, args, { cwd: root, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout })
    lines.once('line', (line) => resolve({ ...JSON.parse(line), child, cpu: () => cpuMicros(child.pid), stop: () => stop(child) }))
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)))
  })
}

/**
 * CPU time (user + system) a process has used, in µs, from /proc (taskset execs node, so the
 * child's pid is the server's). CPU per request does not depend on how busy the load generator
 * was, so it is a steadier figure than requests per second on a shared machine; null elsewhere.
 */
export function cpuMicros(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100
  } catch {
    return null
  }
}

function stop(child) {
  return new Promise((resolve) => {
    child.once('exit', resolve)
    child.kill('SIGTERM')
  })
}

/** Runs autocannon in its own process pinned to `core`; resolves with its JSON result. */
export function autocannon(url, { headers = {}, seconds = 5, connections = 32, core = 1 } = {}) {
  const args = [path.join(root, 'node_modules/autocannon/autocannon.js'), '-j', '-d', String(seconds), '-c', String(connections)]
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`)
  args.push(url)
  const [cmd, cmdArgs] = pinned(core, process.execPath, args)
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'ignore'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}`))
      const result = JSON.parse(out)
      resolve({
        rps: result.requests.average,
        total: result.requests.total,
        p50: result.latency.p50,
        p99: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors,
      })
    })
  })
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function tempDatabaseUrl(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `portico-bench-${name}-`))
  return `file:${path.join(dir, 'portico.db')}`
}

export const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
