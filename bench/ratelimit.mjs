// The Redis limiter against the in-process one, and both against bare Hono, in the same run:
// `GET /api/v1/health` with a valid key on the real `npm start` server (limits raised, so every
// request is measured, not refused) counting in process and in Redis (fail-closed, so a Redis that
// cannot be reached fails the run instead of measuring the fallback), each with the default `info`
// request log and with LOG_LEVEL=warn; and bare Hono (@hono/node-server, one JSON route).
// Servers on core 0 (only the one under load is busy), autocannon on core 1; Redis is a private
// redis-server of the run's own (unless REDIS_URL names one), unpinned. The variants alternate over
// short rounds in a rotating order, so each round's ratios compare the same machine; the median
// of the per-round ratios is the figure. Beside it: server CPU per request, Redis CPU per request,
// and requests per script call (Redis' INFO commandstats: how many admissions shared a round trip).
// Usage: [REDIS_URL=redis://…] node bench/ratelimit.mjs [rounds=10] [seconds=3] [connections=50]
import { Redis } from 'ioredis'
import os from 'node:os'
import { autocannon, cpuMicros, fmt, measure, median, startNode, startRedis, startShipped } from './lib.mjs'

const rounds = Number(process.argv[2] ?? 10)
const seconds = Number(process.argv[3] ?? 3)
const connections = Number(process.argv[4] ?? 50)
const limits = { PORTICO_RATE_LIMITS: 'general=999999999/60,send=999999999/60' }

const started = []
const track = async (starting) => {
  const server = await starting
  started.push(server)
  return server
}
let redis, client, servers
try {
  redis = process.env.REDIS_URL ? { url: process.env.REDIS_URL } : await track(startRedis())
  client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await client.connect()
  // A Redis named by REDIS_URL: its CPU if it runs here; its counts include every other client's.
  if (!redis.cpu) {
    const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1])
    redis.cpu = () => cpuMicros(pid)
  }
  const shared = { REDIS_URL: redis.url, PORTICO_REDIS_PREFIX: `portico-bench:${process.pid}:`, PORTICO_RATE_LIMIT_FAIL_OPEN: '0' }
  servers = {
    hono: await track(startNode('bench/hono-bare.mjs')),
    memory: await track(startShipped({ ...limits })),
    redis: await track(startShipped({ ...limits, ...shared })),
    memoryWarn: await track(startShipped({ ...limits, LOG_LEVEL: 'warn' })),
    redisWarn: await track(startShipped({ ...limits, ...shared, LOG_LEVEL: 'warn' })),
  }
} catch (error) {
  client?.disconnect()
  await Promise.all(started.map((s) => s.stop()))
  throw error
}
const names = ['hono', 'memory', 'redis', 'memoryWarn', 'redisWarn']
const labels = {
  hono: 'bare Hono',
  memory: 'Portico as shipped (info log), in-process limiter',
  redis: 'Portico as shipped (info log), Redis limiter',
  memoryWarn: 'Portico, LOG_LEVEL=warn, in-process limiter',
  redisWarn: 'Portico, LOG_LEVEL=warn, Redis limiter',
}
const usesRedis = (name) => name === 'redis' || name === 'redisWarn'
const headers = (name) => (name === 'hono' ? {} : { authorization: `Bearer ${servers[name].key}` })
const url = (name) => `${servers[name].url}/api/v1/health`

/** Script calls (EVAL and EVALSHA) Redis has answered so far. */
async function scriptCalls() {
  let calls = 0
  for (const m of (await client.info('commandstats')).matchAll(/^cmdstat_(eval|evalsha):calls=(\d+)/gm)) calls += Number(m[2])
  return calls
}

async function measured(name) {
  const processes = usesRedis(name) ? { server: servers[name], redis } : { server: servers[name] }
  const calls = usesRedis(name) ? await scriptCalls() : 0
  const result = await measure(name, url(name), { headers: headers(name), seconds, connections, processes })
  return { ...result, perCall: usesRedis(name) ? result.total / ((await scriptCalls()) - calls) : NaN }
}

const pad = (s, n) => String(s).padStart(n)
const ratio = (x) => x.toFixed(3)
try {
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} · ${rounds} rounds of ${seconds} s · ${connections} connections · Redis ${process.env.REDIS_URL ?? 'private'}`)
  for (const name of names) await autocannon(url(name), { headers: headers(name), seconds: 2, connections }) // JIT, key cache
  const series = Object.fromEntries(names.map((n) => [n, { rps: [], cpu: [], redisCpu: [], perCall: [], toHono: [], toMemory: [] }]))
  console.log('round   req/s hono / mem / redis / mem warn / redis warn        redis÷mem (info, warn)   ×hono mem / redis / mem warn / redis warn')
  for (let round = 1; round <= rounds; round++) {
    const r = {}
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]
      r[name] = await measured(name)
    }
    for (const name of names) {
      const s = series[name]
      s.rps.push(r[name].rps)
      s.cpu.push(r[name].cpu.server)
      s.toHono.push(r[name].rps / r.hono.rps)
      if (usesRedis(name)) {
        s.redisCpu.push(r[name].cpu.redis)
        s.perCall.push(r[name].perCall)
        s.toMemory.push(r[name].rps / r[name === 'redis' ? 'memory' : 'memoryWarn'].rps)
      }
    }
    const rps = names.map((n) => fmt(r[n].rps)).join(' / ')
    const toHono = names.slice(1).map((n) => ratio(series[n].toHono.at(-1))).join(' / ')
    console.log(`${pad(round, 5)}   ${pad(rps, 52)}   ${ratio(series.redis.toMemory.at(-1))}, ${ratio(series.redisWarn.toMemory.at(-1))}            ${toHono}`)
  }
  console.log(
    '\n| server | req/s (median) | × bare Hono | Redis ÷ in-process, same log | server CPU µs/request | Redis CPU µs/request | requests per script call |\n|---|---:|---:|---:|---:|---:|---:|',
  )
  for (const name of names) {
    const s = series[name]
    const cells = [
      fmt(median(s.rps)),
      name === 'hono' ? '1.00' : ratio(median(s.toHono)),
      usesRedis(name) ? ratio(median(s.toMemory)) : '—',
      fmt(median(s.cpu), 1),
      usesRedis(name) ? fmt(median(s.redisCpu), 1) : '—',
      usesRedis(name) ? fmt(median(s.perCall), 1) : '—',
    ]
    console.log(`| ${labels[name]} | ${cells.join(' | ')} |`)
  }
  const verdict = (name) => `${ratio(median(series[name].toMemory))} (target ≥ 0.80: ${median(series[name].toMemory) >= 0.8 ? 'met' : 'MISSED'})`
  console.log(`\nRedis ÷ in-process (median of same-round ratios): info log ${verdict('redis')}; LOG_LEVEL=warn ${verdict('redisWarn')}; load average now ${os.loadavg()[0].toFixed(2)}`)
} finally {
  client.disconnect()
  await Promise.all(started.map((s) => s.stop()))
}
