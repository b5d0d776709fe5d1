// Portico as a gateway against a bare proxy, in the same run: a minimal upstream (node:http, a
// small JSON body) behind (a) Portico as shipped — `npm start`'s server (the repository's, with its
// default `info` request log appended to a file) given an upstreams file: key, scope, rate limit,
// identity JWT, usage —, (b) the same with LOG_LEVEL=warn, and (c) a bare proxy (node:http +
// undici, no checks). Proxies pinned to core 0, load generator and upstream to core 1; variants
// alternated over short rounds in a rotating order, the ratio taken per round and its median
// reported (target ≥ 0.60 for the shipped server). Server CPU per request beside it. Then added
// latency: sequential requests one at a time, p50 of each path, Portico's p50 minus the
// upstream's own (target ≤ 1 ms).
// Usage: node bench/gateway.mjs [rounds=10] [seconds=2]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'
import { fmt, measure, median, startServer, startShipped } from './lib.mjs'

const rounds = Number(process.argv[2] ?? 10)
const seconds = Number(process.argv[3] ?? 2)
const upstream = await startServer('bench/gateway-upstream.mjs', {}, 1)
const bare = await startServer('bench/bare-proxy.mjs', { BENCH_UPSTREAM: upstream.url }, 0)
// One operation, `bench.ping` (GET /api/v1/bench/ping → /ping, scope read).
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'portico-bench-gateway-')), 'upstreams.json')
fs.writeFileSync(
  file,
  JSON.stringify({
    upstreams: [
      {
        name: 'bench',
        url: upstream.url,
        secret_env: 'BENCH_UPSTREAM_SECRET',
        operations: [{ id: 'bench.ping', method: 'get', path: '/bench/ping', upstream_path: '/ping', scope: 'read', summary: 'Benchmark route' }],
      },
    ],
  }),
)
const env = { PORTICO_UPSTREAMS: file, BENCH_UPSTREAM_SECRET: 'bench-secret-bench-secret-bench-secret', PORTICO_RATE_LIMITS: 'general=999999999/60,send=999999999/60' }
const shipped = await startShipped(env)
const warn = await startShipped({ ...env, LOG_LEVEL: 'warn' })
const portico = (server) => ({ server, url: `${server.url}/api/v1/bench/ping`, headers: { authorization: `Bearer ${server.key}` } })
const variants = [
  { name: 'bare proxy', server: bare, url: `${bare.url}/proxy/ping`, headers: {} },
  { name: 'shipped', ...portico(shipped) },
  { name: 'warn', ...portico(warn) },
]
const run = async (v) => {
  const r = await measure(v.name, v.url, { headers: v.headers, seconds, processes: { server: v.server } })
  return { ...r, cpu: r.cpu.server }
}

/** p50 of `count` requests sent one at a time over one kept-alive connection, in ms. */
async function sequentialP50(url, headers, count) {
  const target = new URL(url)
  const pool = new Pool(target.origin, { connections: 1 })
  const times = []
  try {
    for (let i = 0; i < count; i++) {
      const started = performance.now()
      const res = await pool.request({ method: 'GET', path: target.pathname, headers })
      await res.body.text()
      if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`)
      times.push(performance.now() - started)
    }
  } finally {
    await pool.close()
  }
  return median(times)
}

const pad = (s, n) => String(s).padStart(n)
const labels = { 'bare proxy': 'bare proxy (node:http + undici)', shipped: 'Portico as shipped (info log)', warn: 'Portico, LOG_LEVEL=warn' }
try {
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} · ${rounds} rounds of ${seconds} s`)
  for (const v of variants) await run({ ...v }) // JIT, key cache, pools
  const ratios = { shipped: [], warn: [] }
  const cpu = { 'bare proxy': [], shipped: [], warn: [] }
  const rps = { 'bare proxy': [], shipped: [], warn: [] }
  console.log('round   req/s bare / shipped / warn    shipped÷bare  warn÷bare   CPU µs/request bare / shipped / warn')
  for (let round = 1; round <= rounds; round++) {
    const r = {}
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + round) % variants.length]
      r[v.name] = await run(v)
    }
    for (const name of Object.keys(cpu)) {
      cpu[name].push(r[name].cpu)
      rps[name].push(r[name].rps)
    }
    ratios.shipped.push(r.shipped.rps / r['bare proxy'].rps)
    ratios.warn.push(r.warn.rps / r['bare proxy'].rps)
    const names = ['bare proxy', 'shipped', 'warn']
    console.log(
      `${pad(round, 5)}   ${pad(names.map((n) => fmt(r[n].rps)).join(' / '), 24)}   ${pad(ratios.shipped.at(-1).toFixed(3), 12)}  ${pad(ratios.warn.at(-1).toFixed(3), 9)}   ${names.map((n) => fmt(r[n].cpu, 1)).join(' / ')}`,
    )
  }
  console.log('\n| server | req/s (median) | × bare proxy (median of same-round ratios) | server CPU µs/request |\n|---|---:|---:|---:|')
  for (const name of Object.keys(cpu)) {
    const ratio = name === 'bare proxy' ? '1.00' : median(ratios[name]).toFixed(3)
    console.log(`| ${labels[name]} | ${fmt(median(rps[name]))} | ${ratio} | ${fmt(median(cpu[name]), 1)} |`)
  }
  const m = median(ratios.shipped)
  console.log(`\nshipped ÷ bare proxy ${m.toFixed(3)} (target ≥ 0.60: ${m >= 0.6 ? 'met' : 'MISSED'}); LOG_LEVEL=warn ÷ bare proxy ${median(ratios.warn).toFixed(3)}`)
  const p50 = { upstream: [], bare: [], portico: [] }
  for (let round = 0; round < 5; round++) {
    p50.upstream.push(await sequentialP50(`${upstream.url}/ping`, {}, 400))
    p50.bare.push(await sequentialP50(`${bare.url}/proxy/ping`, {}, 400))
    p50.portico.push(await sequentialP50(`${shipped.url}/api/v1/bench/ping`, { authorization: `Bearer ${shipped.key}` }, 400))
  }
  const [u, b, p] = [median(p50.upstream), median(p50.bare), median(p50.portico)]
  console.log(
    `latency p50, one request at a time: upstream ${u.toFixed(3)} ms, through the bare proxy ${b.toFixed(3)} ms, through Portico ${p.toFixed(3)} ms; ` +
      `added by Portico ${(p - u).toFixed(3)} ms (target ≤ 1 ms), ${(p - b).toFixed(3)} ms more than the bare proxy`,
  )
} finally {
  await Promise.all([shipped.stop(), warn.stop(), bare.stop(), upstream.stop()])
}
