// The floor the figures are quoted against: bare Hono on @hono/node-server, one route answering
// JSON, nothing else. Prints one JSON line `{url}` when ready.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
app.get('/api/v1/health', (c) => c.json({ status: 'ok' }))
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(JSON.stringify({ url: `http://127.0.0.1:${info.port}` }) + '\n')
})
process.once('SIGTERM', () => process.exit(0))
