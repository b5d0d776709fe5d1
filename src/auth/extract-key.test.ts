import { describe, expect, it } from 'vitest'
import { extractKey } from './extract-key.js'

describe('extractKey', () => {
  const key = 'ptk_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL'

  it('reads the three header forms', () => {
    expect(extractKey(`Bearer ${key}`, undefined)).toBe(key)
    expect(extractKey(`bearer ${key}`, undefined)).toBe(key)
    expect(extractKey(`BEARER ${key}`, undefined)).toBe(key)
    expect(extractKey(key, undefined)).toBe(key)
    expect(extractKey(undefined, key)).toBe(key)
  })

  it('trims the key wherever the spaces are', () => {
    expect(extractKey(`Bearer   ${key}`, undefined)).toBe(key)
    expect(extractKey(` Bearer ${key} `, undefined)).toBe(key)
    expect(extractKey(`Bearer ${key}\t`, undefined)).toBe(key)
    expect(extractKey(undefined, ` ${key} `)).toBe(key)
  })

  it('gives back something that fails parsing for another scheme, and "" or null for no key', () => {
    expect(extractKey(`Basic ${key}`, undefined)).toBe(`Basic ${key}`)
    expect(extractKey('Bearer', undefined)).toBe('Bearer')
    expect(extractKey('Bearer ', undefined)).toBe('Bearer')
    expect(extractKey('', undefined)).toBe('')
    expect(extractKey(undefined, undefined)).toBeNull()
  })

  it('prefers Authorization over X-API-Key', () => {
    expect(extractKey(`Bearer ${key}`, 'other')).toBe(key)
  })
})
