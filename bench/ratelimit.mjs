// Throughput of an authenticated, rate-limited route with the in-process limiter and with Redis,
// each as a ratio to the bare route (same operation, no authentication) in the same run.
// Server pinned to core 0, autocannon to core 1; A/B alternated per round.
// Usage: REDIS_URL=redis://127.0.0.1:6379 node bench/ratelimit.mjs [rounds=5] [seconds=4]
import { autocannon, fmt, median, startServer, tempDatabaseUrl } from './lib.mjs'

const rounds = Number(process.argv[2] ?? 5)
const seconds = Number(process.argv[3] ?? 4)
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

async function measure(label, env) {
  const server = await startServer('bench/bench-server.ts', { DATABASE_URL: tempDatabaseUrl('rl'), LOG_LEVEL: 'warn', ...env })
  const headers = { authorization: `Bearer ${server.key}` }
  try {
    await autocannon(`${server.url}/bench/bare`, { seconds: 2 })
    await autocannon(`${server.url}/api/v1/bench/ping`, { headers, seconds: 2 })
    const ratios = []
    for (let i = 1; i <= rounds; i++) {
      const bare = await autocannon(`${server.url}/bench/bare`, { seconds })
      const limited = await autocannon(`${server.url}/api/v1/bench/ping`, { headers, seconds })
      if (limited.non2xx || limited.errors) throw new Error(`${label}: ${limited.non2xx} non-2xx, ${limited.errors} errors`)
      ratios.push(limited.rps / bare.rps)
      console.log(`${label.padEnd(10)} round ${i}: bare ${fmt(bare.rps).padStart(7)} req/s, limited ${fmt(limited.rps).padStart(7)} req/s, ratio ${(limited.rps / bare.rps).toFixed(3)}, p99 ${limited.p99} ms`)
    }
    return median(ratios)
  } finally {
    await server.stop()
  }
}

const memory = await measure('in-process', {})
const redis = await measure('redis', { REDIS_URL: redisUrl, PORTICO_REDIS_PREFIX: `portico-bench:${process.pid}:`, PORTICO_RATE_LIMIT_FAIL_OPEN: '0' })
console.log(`median ratio to bare: in-process ${memory.toFixed(3)} (target ≥ 0.90), Redis ${redis.toFixed(3)} (target ≥ 0.60)`)
