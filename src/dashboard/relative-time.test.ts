import { describe, expect, it } from 'vitest'
import { exactUtc, relativeTime } from './relative-time.js'

describe('relative times', () => {
  const now = Date.parse('2026-06-12T14:24:37Z')
  const at = (seconds: number) => new Date(now + seconds * 1000).toISOString()

  it('counts seconds, minutes, hours and days both ways, and shows the date past a month', () => {
    expect(relativeTime(at(-5), now)).toBe('just now')
    expect(relativeTime(at(30), now)).toBe('in 30 s')
    expect(relativeTime(at(-180), now)).toBe('3 min ago')
    expect(relativeTime(at(23 * 3600 + 59 * 60), now)).toBe('in 23 h')
    expect(relativeTime(at(-12 * 86_400), now)).toBe('12 d ago')
    expect(relativeTime(at(-40 * 86_400), now)).toBe('2026-05-03')
    expect(relativeTime('not a time', now)).toBe('not a time')
  })

  it('gives the exact UTC time to the second for the tooltip', () => {
    expect(exactUtc('2026-06-12T14:24:37.123Z')).toBe('2026-06-12 14:24:37 UTC')
  })
})
