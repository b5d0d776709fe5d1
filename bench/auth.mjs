// Authenticated, scope-checked, rate-limited route vs the same handler with no authentication, in
// the same run: server pinned to core 0, load generator to core 1, variants alternated over rounds
// in a rotating order. Two baselines: `bare`, a plain route running the same executor (the
// target's baseline), and `open`, the whole REST pipeline with only the key check, quota and
// per-key counters taken out, which shows what authentication itself costs.
// Usage: node bench/auth.mjs [rounds=9] [seconds=3]
import { autocannon, fmt, median, startServer, tempDatabaseUrl } from './lib.mjs'

const rounds = Number(process.argv[2] ?? 9)
const seconds = Number(process.argv[3] ?? 3)
const server = await startServer('bench/bench-server.ts', { DATABASE_URL: tempDatabaseUrl('auth'), LOG_LEVEL: 'warn' })
const variants = [
  { name: 'bare', url: `${server.url}/api/v1/bench/bare`, headers: {} },
  { name: 'open', url: `${server.url}/api/v1/bench/open`, headers: {} },
  { name: 'auth', url: `${server.url}/api/v1/bench/ping`, headers: { authorization: `Bearer ${server.key}` } },
]

// Server CPU per request beside throughput: it does not move with the load generator's share of
// the machine, so it shows what authentication costs when the req/s figures are noisy.
async function measure({ name, url, headers }) {
  const before = server.cpu()
  const result = await autocannon(url, { headers, seconds })
  const after = server.cpu()
  if (result.non2xx || result.errors) throw new Error(`${name} answered ${result.non2xx} non-2xx, ${result.errors} errors`)
  return { ...result, cpu: before === null || after === null ? NaN : (after - before) / result.total }
}

try {
  for (const v of variants) await autocannon(v.url, { headers: v.headers, seconds: 2 }) // JIT, key cache
  const ratios = { bare: [], open: [] }
  const cpuRatios = { bare: [], open: [] }
  console.log('round  req/s bare / open / auth   auth÷bare  auth÷open   CPU µs/request bare / open / auth  auth p50/p99 ms')
  for (let round = 1; round <= rounds; round++) {
    const r = {}
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + round) % variants.length]
      r[v.name] = await measure(v)
    }
    for (const base of ['bare', 'open']) {
      ratios[base].push(r.auth.rps / r[base].rps)
      cpuRatios[base].push(r[base].cpu / r.auth.cpu)
    }
    const rps = [r.bare, r.open, r.auth].map((x) => fmt(x.rps)).join(' / ')
    const cpu = [r.bare, r.open, r.auth].map((x) => fmt(x.cpu, 1)).join(' / ')
    console.log(
      `${String(round).padStart(5)}  ${rps.padStart(22)}   ${(r.auth.rps / r.bare.rps).toFixed(3).padStart(9)}  ${(r.auth.rps / r.open.rps).toFixed(3).padStart(9)}   ${cpu.padStart(32)}  ${r.auth.p50}/${r.auth.p99}`,
    )
  }
  console.log(`median authenticated/bare ratio: ${median(ratios.bare).toFixed(3)} (target ≥ 0.90); by CPU per request ${median(cpuRatios.bare).toFixed(3)}`)
  console.log(`median authenticated/open ratio (what authentication itself costs): ${median(ratios.open).toFixed(3)}; by CPU per request ${median(cpuRatios.open).toFixed(3)}`)
} finally {
  await server.stop()
}
