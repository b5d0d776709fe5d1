/**
 * Portico in front of BENCH_UPSTREAM for bench/gateway: an upstreams file with one operation,
 * `bench.ping` (GET /api/v1/bench/ping → /ping, scope read), and an organisation whose key has a
 * limit no benchmark reaches. Prints one JSON line `{url, key}` when ready.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { createOrganization } from '../src/cli.js'
import { loadConfig } from '../src/core/config.js'
import { createPortico } from '../src/server.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-bench-gateway-'))
const file = path.join(dir, 'upstreams.json')
fs.writeFileSync(
  file,
  JSON.stringify({
    upstreams: [
      {
        name: 'bench',
        url: process.env.BENCH_UPSTREAM,
        secret_env: 'BENCH_UPSTREAM_SECRET',
        operations: [{ id: 'bench.ping', method: 'get', path: '/bench/ping', upstream_path: '/ping', scope: 'read', summary: 'Benchmark route' }],
      },
    ],
  }),
)
const config = loadConfig({ ...process.env, PORT: '0', PORTICO_UPSTREAMS: file, BENCH_UPSTREAM_SECRET: 'bench-secret-bench-secret-bench-secret' })
const portico = await createPortico({ config, logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }) })
const { org, key } = await createOrganization(portico.database, config, 'Bench')
await portico.database.db
  .updateTable('api_keys')
  .set({ rate_limits: JSON.stringify({ general: { limit: 100_000_000, window_seconds: 60 } }) })
  .where('org_id', '=', org.id)
  .execute()
await portico.start()
const { url } = await portico.listen()
process.stdout.write(JSON.stringify({ url, key }) + '\n')
const stop = () => void portico.close().then(() => process.exit(0))
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
