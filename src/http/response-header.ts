import type { ServerResponse } from 'node:http'
import type { Context } from 'hono'

/** Node's response for this request when served by @hono/node-server and nothing is sent yet. */
export function pendingNodeResponse(c: Context): ServerResponse | undefined {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing
  return outgoing && !outgoing.headersSent ? outgoing : undefined
}

/**
 * Sets a header of the response to come. Served by @hono/node-server it goes onto Node's own
 * response, which merges it into the head the adapter writes, so a value the returned Response
 * carries itself wins (a page keeps its own `X-Frame-Options`), whatever way that Response was
 * built. That skips the web `Headers` validation each `c.header()` costs, a few microseconds a
 * header on every request. Under `app.request()` (tests) it falls back to `c.header()`.
 * Returns whether the header went to Node, where it needs no second look once the Response is final.
 */
export function setResponseHeader(c: Context, name: string, value: string): boolean {
  const outgoing = pendingNodeResponse(c)
  if (outgoing) {
    outgoing.setHeader(name, value)
    return true
  }
  c.header(name, value)
  return false
}
