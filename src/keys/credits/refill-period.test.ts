import { describe, expect, it } from 'vitest'
import { nextRefillAt, refillPeriod } from './refill-period.js'

describe('refill periods', () => {
  it('names the UTC day or month, and turns at 00:00 UTC and on the 1st', () => {
    const lastSecond = Date.parse('2026-01-31T23:59:59.999Z')
    expect(refillPeriod('daily', lastSecond)).toBe('2026-01-31')
    expect(refillPeriod('daily', lastSecond + 1)).toBe('2026-02-01')
    expect(refillPeriod('monthly', lastSecond)).toBe('2026-01')
    expect(refillPeriod('monthly', lastSecond + 1)).toBe('2026-02')
    // Asked out of order (another key's clock reading), the kept answer is not reused.
    expect(refillPeriod('daily', lastSecond)).toBe('2026-01-31')
    expect(refillPeriod(null, lastSecond)).toBe('2026-01-31')
    expect(new Date(nextRefillAt('daily', lastSecond)).toISOString()).toBe('2026-02-01T00:00:00.000Z')
    expect(new Date(nextRefillAt('monthly', Date.parse('2026-12-15T10:00:00Z'))).toISOString()).toBe('2027-01-01T00:00:00.000Z')
  })
})
