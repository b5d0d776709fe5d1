import { crc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { base62, checksum, generateKey, parseKey } from './key-format.js'

describe('key format', () => {
  it('mints prefix_ + 42 random + 6 checksum base62 characters', () => {
    const { key, hash, displayPrefix } = generateKey('ptk')
    expect(key).toMatch(/^ptk_[0-9A-Za-z]{48}$/)
    expect(displayPrefix).toBe(key.slice(0, 12))
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(parseKey(key)?.hash).toBe(hash)
  })

  it('uses CRC32 (IEEE) of prefix_ + random, base62, left-padded to 6', () => {
    const random = 'a'.repeat(42)
    const expected = base62(crc32(`ptk_${random}`) >>> 0, 6)
    expect(checksum('ptk', random)).toBe(expected)
    expect(base62(0, 6)).toBe('000000')
    expect(base62(61, 6)).toBe('00000z')
    expect(base62(62, 6)).toBe('000010')
    // CRC32("123456789") is the standard check value 0xCBF43926.
    expect(crc32('123456789') >>> 0).toBe(0xcbf43926)
  })

  it('rejects a typo, a wrong prefix and a wrong length offline', () => {
    const { key } = generateKey('ptk')
    const last = key.at(-8)!
    const typo = key.slice(0, -8) + (last === 'a' ? 'b' : 'a') + key.slice(-7)
    expect(parseKey(typo)).toBeNull()
    expect(parseKey(key.replace('ptk_', 'rsk_'))).toBeNull()
    expect(parseKey(key + 'x')).toBeNull()
    expect(parseKey('')).toBeNull()
  })

  it('spreads characters over the whole alphabet', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) for (const ch of generateKey('ptk').key.slice(4, 46)) seen.add(ch)
    expect(seen.size).toBe(62)
  })
})
