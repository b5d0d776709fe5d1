/**
 * A Portico server for benchmarks: the real app plus one operation, served four ways: through the
 * operation pipeline with a key (`/api/v1/bench/ping`: key, scope, rate limit); the same route
 * with no authentication (`/api/v1/bench/noauth`, below); bare (`/api/v1/bench/bare`: a
 * hand-written route of the same shape that runs the same executor, output validation and response
 * headers, and nothing else); and bare plus a known busy-wait (`/api/v1/bench/bare-plus`, a
 * calibration). Prints one JSON line `{url, key}` when ready.
 */
import { pino } from 'pino'
import { createOrganization } from '../src/cli.js'
import { loadConfig } from '../src/core/config.js'
import { requestHeader } from '../src/http/request-header.js'
import { setResponseHeader } from '../src/http/response-header.js'
import { defineModule, defineOperation, z } from '../src/index.js'
import { createPortico } from '../src/server.js'
import type { AuthGuard } from '../src/auth/auth-guard.js'
import type { Authenticated } from '../src/auth/authenticate.js'
import { OperationRegistry } from '../src/core/operation.js'
import { mountOperations } from '../src/http/mount-operations.js'
import { Metrics } from '../src/metrics/metrics.js'
import type { KeyWithOwner } from '../src/keys/key-store.js'
import type { RateLimiter } from '../src/ratelimit/limiter.js'
import { OperationExecutor } from '../src/runtime/execute-operation.js'

const body = { status: 'ok', service: 'bench' }

const ping = defineOperation({
  id: 'bench.ping',
  method: 'get',
  path: '/bench/ping',
  summary: 'Benchmark route',
  scope: 'read',
  output: z.object({ status: z.string(), service: z.string() }),
  handler: async () => body,
})
const benchModule = defineModule({ name: 'bench', operations: [ping] })

const config = loadConfig({ ...process.env, PORT: process.env.PORT ?? '0' })
const portico = await createPortico({ config, modules: [benchModule], logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }) })
const { org, key } = await createOrganization(portico.database, config, 'Bench')
// A limit no benchmark reaches, so every request is measured, not refused.
await portico.database.db
  .updateTable('api_keys')
  .set({ rate_limits: JSON.stringify({ general: { limit: 100_000_000, window_seconds: 60 } }) })
  .where('org_id', '=', org.id)
  .execute()
// Admits every request without counting, synchronously as the in-process limiter answers.
const noLimiter: RateLimiter = {
  consume: (requests) => requests.map(({ policy }) => ({ policy, allowed: true, remaining: policy.limit, resetSeconds: policy.windowSeconds })),
  release: () => {},
  close: async () => {},
}
const anonymous = { kind: 'org_key', orgId: org.id, keyId: 'bare', keyPrefix: 'bare', keyName: 'bare', scopes: ['read'], keyExpiresAt: null } as const
// `/api/v1/bench/bare-plus`: the bare route plus a busy-wait of BENCH_SPIN_US µs (default 2), a
// known cost that shows what this machine's load loop makes of a few microseconds of work.
const unlimited = new OperationExecutor({ ...portico.executor.deps, limiter: noLimiter, observers: [] })
const spinMs = Number(process.env.BENCH_SPIN_US ?? 2) / 1000
for (const [path, spin] of [['/api/v1/bench/bare', 0], ['/api/v1/bench/bare-plus', spinMs]] as const) {
  portico.app.get(path, async (c) => {
    if (spin > 0) for (const until = performance.now() + spin; performance.now() < until; );
    const meta = { requestId: c.get('requestId'), serverRequestId: c.get('serverRequestId'), clientIp: c.get('clientIp'), userAgent: requestHeader(c, 'user-agent') }
    const x = await unlimited.execute({ op: portico.registry.get('bench.ping')!, doorway: 'rest', principal: anonymous, query: c.req.query(), meta, at: Date.now() })
    setResponseHeader(c, 'Cache-Control', 'no-store')
    return c.json(x.answer?.kind === 'json' ? (x.answer.body as object) : {}, 200)
  })
}
// `/api/v1/bench/noauth`: the same operation through the same REST pipeline (routing, validation,
// response shaping, headers, metrics) with authentication taken out: a guard that answers one
// fixed principal at once, no quota (rate limits are per key) and no per-key bookkeeping (usage,
// last use). Against it, the authenticated route shows what a key costs: the hash, the cache
// look-up, the scope check, the rate limit and the per-key counters.
const fixedKey = { id: 'noauth', rate_limits: null, org_rate_limits: null } as unknown as KeyWithOwner
const fixedAuth: Authenticated = { principal: { ...anonymous, scopes: [...anonymous.scopes] }, key: fixedKey, bucket: 'noauth', keyLimits: {}, orgLimits: {}, plans: new Map() }
mountOperations(portico.app, {
  registry: new OperationRegistry().add({ ...ping, id: 'bench.noauth', path: '/bench/noauth' }),
  executor: new OperationExecutor({ ...portico.executor.deps, limiter: noLimiter, guard: { check: () => fixedAuth } as unknown as AuthGuard, observers: [new Metrics(false).observe] }),
})
await portico.start()
const { url } = await portico.listen()
// A second key with a credit balance (more than any run spends) and an IP allow-list that admits
// the load generator: what the key's own rules cost on the authenticated route (bench/key-rules).
const ruled = (await (
  await fetch(`${url}/api/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ruled', scopes: ['read'], credits: { remaining: 1_000_000_000 }, allowed_ips: ['10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32', '127.0.0.0/8', '::1'] }),
  })
).json()) as { id: string; key: string }
await portico.database.db
  .updateTable('api_keys')
  .set({ rate_limits: JSON.stringify({ general: { limit: 100_000_000, window_seconds: 60 } }) })
  .where('id', '=', ruled.id)
  .execute()
process.stdout.write(JSON.stringify({ url, key, ruledKey: ruled.key }) + '\n')
const stop = () => void portico.close().then(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
