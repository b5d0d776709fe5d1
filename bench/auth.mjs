// Authenticated, scope-checked, rate-limited route vs the same handler with no authentication, in
// the same run: server pinned to core 0, load generator to core 1, A/B alternated over rounds.
// Usage: node bench/auth.mjs [rounds=5] [seconds=5]
import { autocannon, fmt, median, startServer, tempDatabaseUrl } from './lib.mjs'

const rounds = Number(process.argv[2] ?? 5)
const seconds = Number(process.argv[3] ?? 5)
const server = await startServer('bench/bench-server.ts', { DATABASE_URL: tempDatabaseUrl('auth'), LOG_LEVEL: 'warn' })
const bare = `${server.url}/api/v1/bench/bare`
const authed = `${server.url}/api/v1/bench/ping`
const headers = { authorization: `Bearer ${server.key}` }

try {
  // Warm-up: JIT, key cache.
  await autocannon(bare, { seconds: 2 })
  await autocannon(authed, { headers, seconds: 2 })
  // Server CPU per request beside throughput: it does not move with the load generator's share
  // of the machine, so it shows what authentication costs when the req/s figures are noisy.
  const measure = async (url, options) => {
    const before = server.cpu()
    const result = await autocannon(url, { ...options, seconds })
    const after = server.cpu()
    return { ...result, cpuPerRequest: before === null || after === null ? NaN : (after - before) / result.total }
  }
  const ratios = []
  const cpuRatios = []
  console.log('round  bare req/s  auth req/s  ratio  bare/auth CPU µs per request  auth p50/p99 ms')
  for (let i = 1; i <= rounds; i++) {
    const a = await measure(bare, {})
    const b = await measure(authed, { headers })
    if (b.non2xx || b.errors) throw new Error(`authenticated route answered ${b.non2xx} non-2xx, ${b.errors} errors`)
    ratios.push(b.rps / a.rps)
    cpuRatios.push(a.cpuPerRequest / b.cpuPerRequest)
    const cpu = `${fmt(a.cpuPerRequest, 1)} / ${fmt(b.cpuPerRequest, 1)}`
    console.log(`${String(i).padStart(5)}  ${fmt(a.rps).padStart(10)}  ${fmt(b.rps).padStart(10)}  ${(b.rps / a.rps).toFixed(3)}  ${cpu.padStart(28)}  ${b.p50}/${b.p99}`)
  }
  console.log(`median authenticated/bare ratio: ${median(ratios).toFixed(3)} (target ≥ 0.90)`)
  console.log(`median bare/authenticated CPU-per-request ratio: ${median(cpuRatios).toFixed(3)}`)
} finally {
  await server.stop()
}
