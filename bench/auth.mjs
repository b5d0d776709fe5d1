// Portico as shipped against bare Hono, in the same run: `GET /api/v1/health` with a valid key on
// the real `npm start` server (default `info` request log, appended to a file), the same with
// LOG_LEVEL=warn, and bare Hono (@hono/node-server, one route answering JSON). Key limits are
// raised (PORTICO_RATE_LIMITS) so every request is measured, not refused. Servers on core 0 (only
// the one under load is busy), autocannon on core 1; the variants alternate over short rounds in a
// rotating order, so each round's ratios compare the same machine; the median of the per-round
// ratios is the figure. Server CPU per request beside it (from /proc): it does not move with the
// load generator's share of the machine.
// Usage: node bench/auth.mjs [rounds=10] [seconds=3] [connections=50]
import os from 'node:os'
import { autocannon, fmt, measure, median, startNode, startShipped } from './lib.mjs'

const rounds = Number(process.argv[2] ?? 10)
const seconds = Number(process.argv[3] ?? 3)
const connections = Number(process.argv[4] ?? 50)
const limits = { PORTICO_RATE_LIMITS: 'general=999999999/60,send=999999999/60' }

const servers = {}
const started = []
const track = async (name, starting) => {
  const server = await starting
  started.push(server)
  servers[name] = server
}
try {
  await track('hono', startNode('bench/hono-bare.mjs'))
  await track('shipped', startShipped({ ...limits }))
  await track('warn', startShipped({ ...limits, LOG_LEVEL: 'warn' }))
} catch (error) {
  await Promise.all(started.map((s) => s.stop()))
  throw error
}
const variants = [
  { name: 'hono', server: servers.hono, headers: {} },
  { name: 'shipped', server: servers.shipped, headers: { authorization: `Bearer ${servers.shipped.key}` } },
  { name: 'warn', server: servers.warn, headers: { authorization: `Bearer ${servers.warn.key}` } },
]
const labels = { hono: 'bare Hono', shipped: 'Portico as shipped (info log)', warn: 'Portico, LOG_LEVEL=warn' }

const measured = ({ name, server, headers }) => measure(name, `${server.url}/api/v1/health`, { headers, seconds, connections, processes: { server } })

const pad = (s, n) => String(s).padStart(n)
try {
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} · ${rounds} rounds of ${seconds} s · ${connections} connections`)
  for (const v of variants) await autocannon(`${v.server.url}/api/v1/health`, { headers: v.headers, seconds: 2, connections }) // JIT, key cache
  const ratios = { shipped: [], warn: [] }
  const cpu = { hono: [], shipped: [], warn: [] }
  const rps = { hono: [], shipped: [], warn: [] }
  console.log('round   req/s hono / shipped / warn     shipped÷hono  warn÷hono   CPU µs/request hono / shipped / warn')
  for (let round = 1; round <= rounds; round++) {
    const r = {}
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + round) % variants.length]
      r[v.name] = await measured(v)
    }
    for (const name of Object.keys(cpu)) {
      cpu[name].push(r[name].cpu.server)
      rps[name].push(r[name].rps)
    }
    ratios.shipped.push(r.shipped.rps / r.hono.rps)
    ratios.warn.push(r.warn.rps / r.hono.rps)
    const line = ['hono', 'shipped', 'warn'].map((n) => fmt(r[n].rps)).join(' / ')
    const cpuLine = ['hono', 'shipped', 'warn'].map((n) => fmt(r[n].cpu.server, 1)).join(' / ')
    console.log(`${pad(round, 5)}   ${pad(line, 26)}   ${pad(ratios.shipped.at(-1).toFixed(3), 12)}  ${pad(ratios.warn.at(-1).toFixed(3), 9)}   ${cpuLine}`)
  }
  console.log('\n| server | req/s (median) | × bare Hono (median of same-round ratios) | server CPU µs/request |\n|---|---:|---:|---:|')
  for (const name of ['hono', 'shipped', 'warn']) {
    const ratio = name === 'hono' ? '1.00' : median(ratios[name]).toFixed(3)
    console.log(`| ${labels[name]} | ${fmt(median(rps[name]))} | ${ratio} | ${fmt(median(cpu[name]), 1)} |`)
  }
  const verdict = (name, target) => `${median(ratios[name]).toFixed(3)} (target ≥ ${target.toFixed(2)}: ${median(ratios[name]) >= target ? 'met' : 'MISSED'})`
  console.log(`\nshipped ÷ bare Hono ${verdict('shipped', 0.5)}; LOG_LEVEL=warn ÷ bare Hono ${verdict('warn', 0.65)}; load average now ${os.loadavg()[0].toFixed(2)}`)
} finally {
  await Promise.all(started.map((s) => s.stop()))
}
