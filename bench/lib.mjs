// Shared helpers for the benchmark scripts: a pinned server, a pinned load generator, medians.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
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

/** A plain node script (no tsx) pinned to `core`; resolves with its first JSON line. */
export function startNode(script, env = {}, core = 0) {
  const [cmd, args] = pinned(core, process.execPath, [script])
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout })
    lines.once('line', (line) => resolve({ ...JSON.parse(line), child, cpu: () => cpuMicros(child.pid), stop: () => stop(child) }))
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)))
  })
}

/**
 * Portico as shipped: `npm start`'s command (`node bin/portico.mjs start`, the repository's server
 * with the example product) on a fresh SQLite file, pinned to `core`, its output (the request log)
 * appended to a file as a process manager would keep it. First `portico org create` makes the key.
 * `nodeArgs` go to node before the script (`--cpu-prof`). Resolves with `{url, key, cpu, stop}`.
 */
export async function startShipped(env = {}, core = 0, nodeArgs = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-bench-shipped-'))
  const inherited = { ...process.env }
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'LOG_LEVEL']) delete inherited[name]
  const full = { ...inherited, DATABASE_URL: `file:${path.join(dir, 'portico.db')}`, PORT: '0', ...env }
  const created = spawnSync(process.execPath, ['bin/portico.mjs', 'org', 'create', '--name', 'Bench'], { cwd: root, env: full, encoding: 'utf8' })
  const key = /api key \(shown once, store it now\): (\S+)/.exec(created.stdout)?.[1]
  if (!key) throw new Error(`portico org create failed: ${created.stderr}`)
  const logFile = path.join(dir, 'portico.log')
  const out = fs.openSync(logFile, 'a')
  const [cmd, args] = pinned(core, process.execPath, [...nodeArgs, 'bin/portico.mjs', 'start'])
  const child = spawn(cmd, args, { cwd: root, env: full, stdio: ['ignore', out, 'inherit'] })
  fs.closeSync(out)
  const deadline = Date.now() + 60_000
  for (;;) {
    const url = /Portico listening on (\S+)/.exec(fs.readFileSync(logFile, 'utf8'))?.[1]
    if (url) return { url, key, logFile, child, cpu: () => cpuMicros(child.pid), stop: () => stop(child) }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the shipped server did not start; see ${logFile}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * A redis-server of the run's own on a free port (unpinned: the scheduler puts it beside whichever
 * of the server and the load generator has room), so its CPU and command counts are this run's
 * alone. Resolves with `{url, cpu, stop}`.
 */
export async function startRedis() {
  const probe = net.createServer()
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address()
  await new Promise((resolve) => probe.close(resolve))
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise((resolve, reject) => {
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
      if (output.includes('Ready to accept connections')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)))
  })
  return { url: `redis://127.0.0.1:${port}`, child, cpu: () => cpuMicros(child.pid), stop: () => stop(child) }
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

/**
 * One autocannon run against `url` (options as `autocannon`), with the CPU each of `processes`
 * (`{name: {cpu()}}`) spent per request over it, in µs (NaN where /proc is absent). A run with a
 * non-2xx answer or an error fails: a refused request is not a measured one.
 */
export async function measure(label, url, { processes = {}, ...options } = {}) {
  const before = Object.entries(processes).map(([name, p]) => [name, p, p.cpu()])
  const result = await autocannon(url, options)
  if (result.non2xx || result.errors) throw new Error(`${label} answered ${result.non2xx} non-2xx, ${result.errors} errors`)
  const cpu = {}
  for (const [name, p, at] of before) {
    const after = p.cpu()
    cpu[name] = at === null || after === null ? NaN : (after - at) / result.total
  }
  return { ...result, cpu }
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
