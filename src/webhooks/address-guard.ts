import dns from 'node:dns/promises'
import net from 'node:net'

const blocked = new net.BlockList()
for (const [address, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(address, prefix, 'ipv4')
}
for (const [address, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['fd00:ec2::', 32],
] as const) {
  blocked.addSubnet(address, prefix, 'ipv6')
}

/** Private, loopback, link-local, metadata and other non-public addresses (IPv4-mapped IPv6 too). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return blocked.check(mapped[1]!, 'ipv4')
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined
  if (!family) return true
  return blocked.check(address, family)
}

export class UnsafeUrlError extends Error {}

/** Every address a host resolves to must be public; DNS can change, so this runs when saving and at delivery. */
export async function assertPublicHost(hostname: string): Promise<{ address: string; family: number }[]> {
  const host = hostname.replace(/^\[|\]$/g, '')
  const addresses = net.isIP(host) ? [{ address: host, family: net.isIP(host) }] : await dns.lookup(host, { all: true, verbatim: true })
  if (addresses.length === 0) throw new UnsafeUrlError(`${hostname} does not resolve`)
  const bad = addresses.find((a) => isPrivateAddress(a.address))
  if (bad) throw new UnsafeUrlError(`${hostname} resolves to a private or reserved address (${bad.address})`)
  return addresses
}
