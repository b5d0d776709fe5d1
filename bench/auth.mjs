// Authenticated, scope-checked, rate-limited route vs the same route with no authentication, in
// the same run: server pinned to core 0, load generator to core 1, variants alternated over many
// short rounds in a rotating order, so both sides of each per-round ratio see the same machine.
// The target's baseline is `noauth`: the same operation through the same REST pipeline with the
// key check, quota and per-key counters taken out. A stricter floor, `bare`, is a hand-written
// route that runs the same executor and skips the pipeline too. A calibration variant, `bare+Nµs`
// (the bare route plus a busy-wait of BENCH_SPIN_US µs, default 2), shows what this machine's
// closed load loop makes of a known cost, and turns the authenticated route's loss into
// equivalent µs of work.
// Usage: node bench/auth.mjs [rounds=20] [seconds=1]
import { autocannon, fmt, median, startServer, tempDatabaseUrl } from './lib.mjs'

const rounds = Number(process.argv[2] ?? 20)
const seconds = Number(process.argv[3] ?? 1)
const spinUs = Number(process.env.BENCH_SPIN_US ?? 2)
const server = await startServer('bench/bench-server.ts', { DATABASE_URL: tempDatabaseUrl('auth'), LOG_LEVEL: 'warn', BENCH_SPIN_US: String(spinUs) })
const plus = `bare+${spinUs}µs`
const variants = [
  { name: 'bare', url: `${server.url}/api/v1/bench/bare`, headers: {} },
  { name: plus, url: `${server.url}/api/v1/bench/bare-plus`, headers: {} },
  { name: 'noauth', url: `${server.url}/api/v1/bench/noauth`, headers: {} },
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

const pad = (s, n) => String(s).padStart(n)
try {
  for (const v of variants) await autocannon(v.url, { headers: v.headers, seconds: 2 }) // JIT, key cache
  const ratio = { auth: [], noauth: [], plus: [], authBare: [] }
  const cpu = Object.fromEntries(variants.map((v) => [v.name, []]))
  console.log(`round  req/s bare / ${plus} / noauth / auth   auth÷noauth  auth÷bare  ${plus}÷bare   CPU µs/request bare / ${plus} / noauth / auth`)
  for (let round = 1; round <= rounds; round++) {
    const r = {}
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + round) % variants.length]
      r[v.name] = await measure(v)
    }
    ratio.auth.push(r.auth.rps / r.noauth.rps)
    ratio.authBare.push(r.auth.rps / r.bare.rps)
    ratio.plus.push(r[plus].rps / r.bare.rps)
    ratio.noauth.push(r.noauth.rps / r.bare.rps)
    for (const v of variants) cpu[v.name].push(r[v.name].cpu)
    const line = variants.map((v) => fmt(r[v.name].rps)).join(' / ')
    const cpuLine = variants.map((v) => fmt(r[v.name].cpu, 1)).join(' / ')
    console.log(`${pad(round, 5)}  ${pad(line, 32)}   ${pad(ratio.auth.at(-1).toFixed(3), 11)}  ${pad(ratio.authBare.at(-1).toFixed(3), 9)}  ${pad(ratio.plus.at(-1).toFixed(3), 11)}   ${pad(cpuLine, 28)}`)
  }
  const m = Object.fromEntries(Object.entries(ratio).map(([k, v]) => [k, median(v)]))
  const cpuOf = (name) => median(cpu[name])
  console.log(
    `median authenticated/noauth ratio: ${m.auth.toFixed(3)} (target ≥ 0.90); CPU µs/request noauth ${fmt(cpuOf('noauth'), 1)}, auth ${fmt(cpuOf('auth'), 1)}`,
  )
  console.log(`against the hand-written route: authenticated/bare ${m.authBare.toFixed(3)}, noauth/bare (the operation pipeline) ${m.noauth.toFixed(3)}; CPU µs/request bare ${fmt(cpuOf('bare'), 1)}`)
  // Each variant's time per request over bare's is (1/ratio − 1); scaled by the known busy-wait.
  const equivalent = (spinUs * (1 / m.authBare - 1)) / (1 / m.plus - 1)
  console.log(
    `calibration: ${plus} keeps ${m.plus.toFixed(3)} of bare (${spinUs} µs is ${((spinUs / cpuOf('bare')) * 100).toFixed(1)}% of bare's CPU per request), so the authenticated route's loss against bare matches about ${equivalent.toFixed(1)} µs of extra work per request`,
  )
} finally {
  await server.stop()
}
