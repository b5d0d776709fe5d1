import type { IncomingMessage } from 'node:http'
import type { Context } from 'hono'

/**
 * A request header read from Node's own parsed headers when served by @hono/node-server: a plain
 * property look-up, where `c.req.header()` builds and validates a web `Headers` object first.
 * Under `app.request()` (tests) it falls back to the web Request.
 */
export function requestHeader(c: Context, name: Lowercase<string>): string | undefined {
  const incoming = incomingOf(c)
  if (incoming?.headers) {
    const value = incoming.headers[name]
    return Array.isArray(value) ? value[0] : value
  }
  return c.req.header(name)
}

/** Node's own request when served by @hono/node-server; undefined under `app.request()` (tests). */
export function incomingOf(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
}
