import { isIP } from 'node:net'
import type { Context } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'

/**
 * The client's address. Behind `trustedProxies` proxies it is the entry that many places from
 * the right of `X-Forwarded-For`: each proxy appends the address it was reached from, so the
 * rightmost entries are the proxies' own and anything further left was written by the client.
 * With fewer entries than proxies, the leftmost; an entry that is not an address is ignored.
 */
export function clientIp(c: Context, trustedProxies: number): string {
  if (trustedProxies > 0) {
    const entries = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)
    const candidate = entries[Math.max(0, entries.length - trustedProxies)]
    if (candidate && isIP(candidate)) return candidate
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    // app.request() in tests has no socket.
    return 'local'
  }
}
