// What a key's own rules cost on the authenticated route: a key with a credit balance and an IP
// allow-list against a key with neither, the same operation in the same run (server pinned to
// core 0, load generator to core 1), alternated over many short rounds in a rotating order. The
// in-process path: SQLite (credits taken from the file in blocks, spent in memory) and the
// in-process rate limiter. Target: the ruled key keeps at least 90% of the plain key's throughput.
// Usage: node bench/key-rules.mjs [rounds=20] [seconds=1]
import { autocannon, fmt, median, startServer, tempDatabaseUrl } from './lib.mjs'

const rounds = Number(process.argv[2] ?? 20)
const seconds = Number(process.argv[3] ?? 1)
const server = await startServer('bench/bench-server.ts', { DATABASE_URL: tempDatabaseUrl('key-rules'), LOG_LEVEL: 'warn' })
const url = `${server.url}/api/v1/bench/ping`
const variants = [
  { name: 'plain', headers: { authorization: `Bearer ${server.key}` } },
  { name: 'credits+ips', headers: { authorization: `Bearer ${server.ruledKey}` } },
]

async function measure({ name, headers }) {
  const before = server.cpu()
  const result = await autocannon(url, { headers, seconds })
  const after = server.cpu()
  if (result.non2xx || result.errors) throw new Error(`${name} answered ${result.non2xx} non-2xx, ${result.errors} errors`)
  return { ...result, cpu: before === null || after === null ? NaN : (after - before) / result.total }
}

const pad = (s, n) => String(s).padStart(n)
try {
  for (const v of variants) await autocannon(url, { headers: v.headers, seconds: 2 }) // JIT, key cache, first credit block
  const ratios = []
  const cpu = { plain: [], ruled: [] }
  console.log('round  req/s plain / credits+ips   ratio   CPU µs/request plain / credits+ips')
  for (let round = 1; round <= rounds; round++) {
    const r = {}
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + round) % variants.length]
      r[v.name] = await measure(v)
    }
    ratios.push(r['credits+ips'].rps / r.plain.rps)
    cpu.plain.push(r.plain.cpu)
    cpu.ruled.push(r['credits+ips'].cpu)
    console.log(`${pad(round, 5)}  ${pad(`${fmt(r.plain.rps)} / ${fmt(r['credits+ips'].rps)}`, 22)}   ${ratios.at(-1).toFixed(3)}   ${fmt(r.plain.cpu, 1)} / ${fmt(r['credits+ips'].cpu, 1)}`)
  }
  const m = median(ratios)
  console.log(
    `median credits+ips/plain throughput: ${m.toFixed(3)} (target ≥ 0.90, i.e. the rules cost ≤ 10%); CPU µs/request plain ${fmt(median(cpu.plain), 1)}, credits+ips ${fmt(median(cpu.ruled), 1)}`,
  )
} finally {
  await server.stop()
}
