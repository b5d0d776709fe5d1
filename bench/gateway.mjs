// Portico as a gateway against a bare proxy, in the same run: a minimal upstream (node:http, a
// small JSON body) behind (a) Portico with an upstreams file — key, scope, rate limit, identity
// JWT, usage — and (b) a bare proxy (node:http + undici, no checks). Proxies pinned to core 0,
// load generator and upstream to core 1; variants alternated over short rounds, the ratio taken
// per round and its median reported (target ≥ 0.60). Then added latency: sequential requests one
// at a time, p50 of each path, Portico's p50 minus the upstream's own (target ≤ 1 ms).
// Usage: node bench/gateway.mjs [rounds=10] [seconds=2]
import { performance } from 'node:perf_hooks'
import { Pool } from 'undici'
import { autocannon, fmt, median, startServer, tempDatabaseUrl } from './lib.mjs'

const rounds = Number(process.argv[2] ?? 10)
const seconds = Number(process.argv[3] ?? 2)
const upstream = await startServer('bench/gateway-upstream.mjs', {}, 1)
const bare = await startServer('bench/bare-proxy.mjs', { BENCH_UPSTREAM: upstream.url }, 0)
const portico = await startServer('bench/gateway-server.ts', { BENCH_UPSTREAM: upstream.url, DATABASE_URL: tempDatabaseUrl('gateway'), LOG_LEVEL: 'warn' }, 0)
const variants = [
  { name: 'bare proxy', server: bare, url: `${bare.url}/proxy/ping`, headers: {} },
  { name: 'portico', server: portico, url: `${portico.url}/api/v1/bench/ping`, headers: { authorization: `Bearer ${portico.key}` } },
]

async function measure({ name, server, url, headers }) {
  const before = server.cpu()
  const result = await autocannon(url, { headers, seconds })
  const after = server.cpu()
  if (result.non2xx || result.errors) throw new Error(`${name} answered ${result.non2xx} non-2xx, ${result.errors} errors`)
  return { ...result, cpu: before === null || after === null ? NaN : (after - before) / result.total }
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
try {
  for (const v of variants) await autocannon(v.url, { headers: v.headers, seconds: 2 }) // JIT, key cache, pools
  const ratios = []
  const cpu = { 'bare proxy': [], portico: [] }
  console.log('round  req/s bare proxy / portico   portico÷bare   CPU µs/request bare proxy / portico')
  for (let round = 1; round <= rounds; round++) {
    const r = {}
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + round) % variants.length]
      r[v.name] = await measure(v)
    }
    ratios.push(r.portico.rps / r['bare proxy'].rps)
    for (const name of Object.keys(cpu)) cpu[name].push(r[name].cpu)
    console.log(
      `${pad(round, 5)}  ${pad(`${fmt(r['bare proxy'].rps)} / ${fmt(r.portico.rps)}`, 26)}   ${pad(ratios.at(-1).toFixed(3), 12)}   ${pad(`${fmt(r['bare proxy'].cpu, 1)} / ${fmt(r.portico.cpu, 1)}`, 22)}`,
    )
  }
  console.log(
    `median portico/bare-proxy throughput ratio: ${median(ratios).toFixed(3)} (target ≥ 0.60); server CPU µs/request: bare proxy ${fmt(median(cpu['bare proxy']), 1)}, portico ${fmt(median(cpu.portico), 1)}`,
  )
  const p50 = { upstream: [], bare: [], portico: [] }
  for (let round = 0; round < 5; round++) {
    p50.upstream.push(await sequentialP50(`${upstream.url}/ping`, {}, 400))
    p50.bare.push(await sequentialP50(`${bare.url}/proxy/ping`, {}, 400))
    p50.portico.push(await sequentialP50(`${portico.url}/api/v1/bench/ping`, { authorization: `Bearer ${portico.key}` }, 400))
  }
  const [u, b, p] = [median(p50.upstream), median(p50.bare), median(p50.portico)]
  console.log(
    `latency p50, one request at a time: upstream ${u.toFixed(3)} ms, through the bare proxy ${b.toFixed(3)} ms, through Portico ${p.toFixed(3)} ms; ` +
      `added by Portico ${(p - u).toFixed(3)} ms (target ≤ 1 ms), ${(p - b).toFixed(3)} ms more than the bare proxy`,
  )
} finally {
  await Promise.all([portico.stop(), bare.stop(), upstream.stop()])
}
