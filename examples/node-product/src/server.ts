/** Acme Inventory's server: its own app, with Portico configured from the environment. */
import { serve } from '@hono/node-server'
import { createPortico } from 'portico'
import { createApp } from './app.js'
import { inventory } from './inventory.js'

const portico = await createPortico({ modules: [inventory] })
const app = createApp(portico)
const server = serve({ fetch: app.fetch, port: portico.config.port, hostname: portico.config.host }, (info) => {
  console.log(`Acme Inventory listening on http://${info.address}:${info.port}`)
})

// Stop taking requests, let those in flight finish, then close Portico (it flushes its counters).
async function shutdown() {
  await new Promise((resolve) => server.close(resolve))
  await portico.close()
}
process.once('SIGTERM', shutdown)
process.once('SIGINT', shutdown)
