import type { Context } from 'hono'

/**
 * Headers set before `next()` ride along on responses built with `c.json()`/`c.body()`, but not on
 * a raw `Response` a handler returns. This adds a missing one in place: setting it through
 * `c.header()` after the response is final would rebuild the whole Response for each header.
 */
export function ensureHeader(c: Context, name: string, value: string): void {
  if (c.res.headers.has(name)) return
  try {
    c.res.headers.set(name, value)
  } catch {
    // Immutable headers (a fetched Response): let Hono copy the response once.
    c.header(name, value)
  }
}
