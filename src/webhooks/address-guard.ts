import dns from 'node:dns/promises'
import net from 'node:net'

const blocked = new net.BlockList()
for (const [address, prefix] of [
  ['0.0.0.0', 8], // "this network", 0.0.0.0
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, including the 169.254.169.254 metadata service
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
] as const) {
  blocked.addSubnet(address, prefix, 'ipv4')
}
for (const [address, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['100::', 64], // discard-only
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local, including fd00:ec2::254 (the AWS metadata service over IPv6)
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(address, prefix, 'ipv6')
}

/** The 8 hextets of an IPv6 address (`::` expanded, a trailing dotted quad folded in). */
function hextets(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '')
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number]
    text = text.slice(0, quad.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0')
  return [...left, ...fill, ...right].map((h) => parseInt(h, 16))
}

const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`

/** An IPv4 address carried inside an IPv6 one that would reach it: mapped, compatible, NAT64 or 6to4. */
function embeddedIpv4(address: string): string | undefined {
  const h = hextets(address)
  if (h.length !== 8) return undefined
  const zeros = (from: number, to: number) => h.slice(from, to).every((x) => x === 0)
  if (zeros(0, 5) && (h[5] === 0xffff || h[5] === 0) && !(h[5] === 0 && h[6] === 0)) return v4(h[6]!, h[7]!)
  if (h[0] === 0x64 && h[1] === 0xff9b && zeros(2, 6)) return v4(h[6]!, h[7]!)
  if (h[0] === 0x2002) return v4(h[1]!, h[2]!)
  return undefined
}

/** Private, loopback, link-local, metadata and other non-public addresses (IPv4 inside IPv6 too). */
export function isPrivateAddress(address: string): boolean {
  if (net.isIPv4(address)) return blocked.check(address, 'ipv4')
  if (!net.isIPv6(address)) return true
  const inner = embeddedIpv4(address)
  if (inner !== undefined && blocked.check(inner, 'ipv4')) return true
  return blocked.check(address, 'ipv6')
}

export class UnsafeUrlError extends Error {}

/** Every address a host resolves to must be public; DNS can change, so this runs when saving and at delivery. */
export async function assertPublicHost(hostname: string): Promise<{ address: string; family: number }[]> {
  const host = hostname.replace(/^\[|\]$/g, '')
  const addresses = net.isIP(host) ? [{ address: host, family: net.isIP(host) }] : await dns.lookup(host, { all: true, verbatim: true })
  if (addresses.length === 0) throw new UnsafeUrlError(`${hostname} does not resolve`)
  // The address stays here: naming it would tell a caller what the host resolves to inside our network.
  if (addresses.some((a) => isPrivateAddress(a.address))) throw new UnsafeUrlError(`${hostname} resolves to a private or reserved address`)
  return addresses
}
