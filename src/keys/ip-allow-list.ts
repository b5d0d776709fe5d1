import { BlockList, isIP } from 'node:net'

export const MAX_ALLOWED_IPS = 100

/** `203.0.113.0/24`, `2001:db8::/32` or a bare address (a /32 or /128): the parts, or null if it is not one. */
export function parseCidr(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const slash = entry.indexOf('/')
  const address = slash === -1 ? entry : entry.slice(0, slash)
  const version = isIP(address)
  if (version === 0) return null
  const max = version === 4 ? 32 : 128
  let prefix = max
  if (slash !== -1) {
    const bits = entry.slice(slash + 1)
    if (!/^\d{1,3}$/.test(bits)) return null
    prefix = Number(bits)
    if (prefix > max) return null
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' }
}

/**
 * A key's allow-list as node:net's BlockList (used as an allow-list: "blocked" means listed),
 * built once per cached key row. Null: no list, any address.
 */
export function allowListOf(json: string | null): BlockList | null {
  if (json === null) return null
  const entries = JSON.parse(json) as string[]
  const list = new BlockList()
  for (const entry of entries) {
    const cidr = parseCidr(entry)
    if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family)
  }
  return list
}

/**
 * Whether `ip` (the client address as PORTICO_TRUST_PROXY determines it) is on the list. An
 * IPv4 client reached over an IPv6 socket (`::ffff:203.0.113.7`) is checked as the IPv4 address it
 * is; anything that is not an address (no socket in tests) is not on any list.
 */
export function ipAllowed(list: BlockList, ip: string): boolean {
  const mapped = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip
  const version = isIP(mapped)
  if (version === 0) return false
  return list.check(mapped, version === 4 ? 'ipv4' : 'ipv6')
}
