import { describe, expect, it } from 'vitest'
import { nextAttemptAt } from './retry-schedule.js'
import { parseRetryAfter } from './send.js'

const HOUR = 3_600_000

describe('nextAttemptAt', () => {
  const event = Date.parse('2026-06-12T00:00:00.000Z')
  const deadline = event + 24 * HOUR

  it('waits up to 15 s × 2^(n-1), capped at 4 h, and at least a second', () => {
    const most = (n: number) => nextAttemptAt(n, event, deadline, null, () => 1)! - event
    expect([1, 2, 3, 4].map(most)).toEqual([15_000, 30_000, 60_000, 120_000])
    expect(most(20)).toBe(4 * HOUR)
    expect(nextAttemptAt(1, event, deadline, null, () => 0)! - event).toBe(1000)
  })

  it('draws the wait at random below the ceiling (full jitter)', () => {
    expect(nextAttemptAt(3, event, deadline, null, () => 0.5)! - event).toBe(30_000)
  })

  it('honours Retry-After, yet never goes past the 24-hour deadline, after which it gives up', () => {
    expect(nextAttemptAt(1, event, deadline, 600, () => 0)! - event).toBe(600_000)
    expect(nextAttemptAt(12, deadline - 60_000, deadline, null, () => 1)).toBe(deadline)
    expect(nextAttemptAt(2, deadline - 1000, deadline, 3600, () => 1)).toBe(deadline)
    expect(nextAttemptAt(13, deadline, deadline, null)).toBeNull()
  })
})

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-06-12T14:00:00Z')
    expect(parseRetryAfter('120', now)).toBe(120)
    expect(parseRetryAfter('Fri, 12 Jun 2026 14:05:00 GMT', now)).toBe(300)
    expect(parseRetryAfter('Fri, 12 Jun 2026 13:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeNull()
    expect(parseRetryAfter(undefined, now)).toBeNull()
  })
})
