/**
 * A Portico server for bench/key-rules: the real app plus one operation (`/api/v1/bench/ping`:
 * key, scope, rate limit), a plain key and a key with credits and an IP allow-list. Prints one
 * JSON line `{url, key, ruledKey}` when ready.
 */
import { pino } from 'pino'
import { createOrganization } from '../src/cli.js'
import { loadConfig } from '../src/core/config.js'
import { defineModule, defineOperation, z } from '../src/index.js'
import { createPortico } from '../src/server.js'

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
