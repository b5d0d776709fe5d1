/**
 * Acme Inventory's existing web app (a Hono app), with Portico mounted beside its own routes:
 * the product keeps /app, and everything else (the API under /api/v1, /mcp, the dashboard, the
 * reference page, the probes) is Portico's.
 */
import { Hono } from 'hono'
import type { Portico } from 'portico'

export function createApp(portico: Portico): Hono {
  const app = new Hono()
  app.get('/app', (c) => c.html('<!doctype html><title>Acme Inventory</title><h1>Acme Inventory</h1><p>API keys and docs: <a href="/">dashboard</a>, <a href="/reference">API reference</a>.</p>'))
  app.get('/app/status', (c) => c.json({ service: 'acme-inventory', ok: true }))
  // Passing c.env hands Portico the Node socket, so it sees each client's own address.
  app.all('*', (c) => portico.fetch(c.req.raw, c.env))
  return app
}
