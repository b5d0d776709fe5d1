import { describe, expect, it } from 'vitest'
import { assertPublicHost, isPrivateAddress } from './address-guard.js'

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1', '127.8.9.10', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1',
    '169.254.169.254', '0.0.0.0', '0.1.2.3', '224.0.0.1', '255.255.255.255', '192.0.2.10', '198.18.0.1',
    '::', '::1', 'fe80::1', 'fc00::1', 'fd00:ec2::254', 'ff02::1',
    // IPv4 inside IPv6: mapped (both spellings), IPv4-compatible, NAT64 and 6to4.
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '::10.0.0.1', '64:ff9b::a00:1', '2002:c0a8:0101::1',
    'not an address',
  ])('refuses %s', (address) => {
    expect(isPrivateAddress(address)).toBe(true)
  })

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])(
    'allows %s',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false)
    },
  )

  it('checks every address a name resolves to, and literals without DNS', async () => {
    await expect(assertPublicHost('localhost')).rejects.toThrow(/private or reserved/)
    await expect(assertPublicHost('[::1]')).rejects.toThrow(/private or reserved/)
    await expect(assertPublicHost('93.184.215.14')).resolves.toEqual([{ address: '93.184.215.14', family: 4 }])
  })
})
