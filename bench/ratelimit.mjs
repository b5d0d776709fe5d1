// Throughput of an authenticated, rate-limited route with the in-process limiter and with Redis,
// each as a ratio to the same route with no authentication (`noauth`: same operation, same
// pipeline, no key, so no quota) in the same run; and with the limiter replaced by one that counts
// nothing, so the limiter's own share shows.
// One server per variant, all pinned to core 0 (only the one under load is busy), autocannon on
// core 1. Every short round measures all four back to back, in a rotating order, so a noisy neighbour
// affects a round's figures alike and the per-round ratios stay comparable.
// Usage: REDIS_URL=redis://127.0.0.1:6379 node bench/ratelimit.mjs [rounds=20] [seconds=1]
import { autocannon, fmt, median, startServer, tempDatabaseUrl } from './lib.mjs'

const rounds = Number(process.argv[2] ?? 20)
const seconds = Number(process.argv[3] ?? 1)
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

const start = (env) => startServer('bench/bench-server.ts', { DATABASE_URL: tempDatabaseUrl('rl'), LOG_LEVEL: 'warn', ...env })
const servers = await Promise.all([
  start({}),
  // Fail-closed, so a Redis that cannot be reached fails the run instead of measuring the fallback.
  start({ REDIS_URL: redisUrl, PORTICO_REDIS_PREFIX: `portico-bench:${process.pid}:`, PORTICO_RATE_LIMIT_FAIL_OPEN: '0' }),
  start({ BENCH_LIMITER: 'off' }),
])
const [memory, redis, none] = servers
const auth = (server) => ({ url: `${server.url}/api/v1/bench/ping`, headers: { authorization: `Bearer ${server.key}` } })
const variants = [
  { name: 'noauth', url: `${memory.url}/api/v1/bench/noauth`, headers: {} },
  { name: 'in-process', ...auth(memory) },
  { name: 'redis', ...auth(redis) },
  { name: 'no limiter', ...auth(none) },
]

try {
  for (const v of variants) await autocannon(v.url, { headers: v.headers, seconds: 2 })
  const ratios = { 'in-process': [], redis: [], 'no limiter': [] }
  for (let round = 1; round <= rounds; round++) {
    const rps = {}
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + round) % variants.length]
      const result = await autocannon(v.url, { headers: v.headers, seconds })
      if (result.non2xx || result.errors) throw new Error(`${v.name}: ${result.non2xx} non-2xx, ${result.errors} errors`)
      rps[v.name] = result
    }
    const line = [`round ${round}: noauth ${fmt(rps.noauth.rps).padStart(6)} req/s`]
    for (const name of Object.keys(ratios)) {
      ratios[name].push(rps[name].rps / rps.noauth.rps)
      line.push(`${name} ${fmt(rps[name].rps).padStart(6)} (${(rps[name].rps / rps.noauth.rps).toFixed(3)}, p99 ${rps[name].p99} ms)`)
    }
    console.log(line.join(' · '))
  }
  const m = Object.fromEntries(Object.entries(ratios).map(([name, r]) => [name, median(r)]))
  console.log(
    `median ratio to noauth: in-process ${m['in-process'].toFixed(3)} (target ≥ 0.90), Redis ${m.redis.toFixed(3)} (target ≥ 0.60), no limiter ${m['no limiter'].toFixed(3)}`,
  )
  const own = (name) => median(ratios[name].map((r, i) => r / ratios['no limiter'][i])).toFixed(3)
  console.log(`the limiter alone (median of per-round ratio ÷ no-limiter ratio): in-process ${own('in-process')}, Redis ${own('redis')}`)
} finally {
  await Promise.all(servers.map((s) => s.stop()))
}
