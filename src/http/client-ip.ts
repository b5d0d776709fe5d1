import { isIP } from 'node:net'
import type { Context } from 'hono'
import { getConnInfo } from '@hono/node-server/conninfo'

/**
 * The client's address. Behind `trustedProxies` proxies it is the entry that many places from
 * the right of `X-Forwarded-For`: each proxy appends the address it was reached from, so the
 * rightmost entries are the proxies' own and anything further left was written by the client.
 * With fewer entries than proxies, the leftmost; an entry that is not an address is ignored.
 * Otherwise the connection's own address (`remote`).
 */
export function clientAddress(forwardedFor: string | undefined, remote: string | undefined, trustedProxies: number): string {
  if (trustedProxies > 0) {
    const entries = (forwardedFor ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)
    const candidate = entries[Math.max(0, entries.length - trustedProxies)]
    if (candidate && isIP(candidate)) return candidate
  }
  return remote ?? 'unknown'
}

/** `clientAddress` for a Hono request. */
export function clientIp(c: Context, trustedProxies: number): string {
  let remote: string | undefined
  try {
    remote = getConnInfo(c).remote.address
  } catch {
    // app.request() in tests has no socket.
    remote = 'local'
  }
  return clientAddress(c.req.header('x-forwarded-for'), remote, trustedProxies)
}
