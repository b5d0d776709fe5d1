import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Context } from 'hono'

/**
 * A request header read from Node's own parsed headers when served by @hono/node-server: a plain
 * property look-up, where `c.req.header()` builds and validates a web `Headers` object first.
 * Under `app.request()` (tests) it falls back to the web Request.
 */
export function requestHeader(c: Context, name: Lowercase<string>): string | undefined {
  const incoming = incomingOf(c)
  if (incoming?.headers) return firstValue(incoming.headers[name])
  return c.req.header(name)
}

/** A header as Node parsed it: the first value of a repeated one. */
export const firstValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value)

/** Whether a request as Node parsed it says it carries a body (a length other than 0, or a transfer coding). */
export function sendsBody(headers: IncomingHttpHeaders): boolean {
  return (headers['content-length'] !== undefined && headers['content-length'] !== '0') || headers['transfer-encoding'] !== undefined
}

/** Node's own request when served by @hono/node-server; undefined under `app.request()` (tests). */
export function incomingOf(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
}
