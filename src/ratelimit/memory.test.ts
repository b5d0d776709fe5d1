import { describe, expect, it } from 'vitest'
import { SLOTS } from './limiter.js'
import { MemoryRateLimiter } from './memory.js'

/**
 * The definition, kept naive: admitted times from a plain list; one counts while its slot (a
 * sixtieth of the window) is among the slots the last window touches, and leaves with its slot.
 */
function reference(limit: number, windowMs: number) {
  const slotMs = windowMs / SLOTS
  const slotOf = (t: number) => Math.floor(t / slotMs)
  const admitted: number[] = []
  return (at: number) => {
    const counted = admitted.filter((t) => slotOf(t) >= slotOf(at) - SLOTS)
    if (counted.length >= limit) return { allowed: false, remaining: 0, freeAt: (slotOf(counted[counted.length - limit]!) + SLOTS + 1) * slotMs }
    admitted.push(at)
    return { allowed: true, remaining: limit - counted.length - 1, freeAt: null }
  }
}

describe('in-process sliding window', () => {
  it('agrees with the definition through bursts, gaps and ring wrap-arounds', () => {
    let seed = 42
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (const limit of [1, 3, 16, 17, 100]) {
      const windowMs = 1000
      const limiter = new MemoryRateLimiter()
      const expected = reference(limit, windowMs)
      const policy = { name: 'general', limit, windowSeconds: 1 }
      let at = 1_700_000_000_000
      for (let i = 0; i < 5000; i++) {
        at += random() < 0.05 ? Math.floor(random() * 1500) : Math.floor(random() * (40_000 / limit / 10))
        const [decision] = limiter.consume([{ bucket: 'k', policy }], at)
        const want = expected(at)
        expect(decision!.allowed, `limit ${limit}, step ${i}`).toBe(want.allowed)
        expect(decision!.remaining).toBe(want.remaining)
        if (want.freeAt !== null) expect(decision!.resetSeconds).toBe(Math.max(1, Math.ceil((want.freeAt - at) / 1000)))
      }
    }
  })

  it('never admits more than the limit in any window, and at most one slot later than an exact log would', () => {
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const limit = 50
    const windowMs = 60_000
    const limiter = new MemoryRateLimiter()
    const policy = { name: 'general', limit, windowSeconds: 60 }
    const admitted: number[] = []
    let at = 1_700_000_000_000
    for (let i = 0; i < 20_000; i++) {
      at += Math.floor(random() * 300)
      const [decision] = limiter.consume([{ bucket: 'k', policy }], at)
      // Exact: what a log keeping each request for the window plus one slot would hold.
      const longer = admitted.filter((t) => t > at - windowMs - windowMs / SLOTS).length
      const exact = admitted.filter((t) => t > at - windowMs).length
      if (longer < limit) expect(decision!.allowed, `step ${i}`).toBe(true)
      if (exact >= limit) expect(decision!.allowed, `step ${i}`).toBe(false)
      if (decision!.allowed) admitted.push(at)
    }
    for (let i = 0, j = 0; i < admitted.length; i++) {
      while (admitted[j]! <= admitted[i]! - windowMs) j++
      expect(i - j + 1).toBeLessThanOrEqual(limit)
    }
  })

  it('keeps the same state whatever the limit: a million a minute counts as exactly as a few', () => {
    const limiter = new MemoryRateLimiter()
    const policy = { name: 'general', limit: 1_000_000, windowSeconds: 60 }
    let admitted = 0
    // 1.5 million requests in ten seconds: the first million pass.
    for (let i = 0; i < 1_500_000; i++) if (limiter.consume([{ bucket: 'k', policy }], 1_000_000 + Math.floor(i / 150))[0]!.allowed) admitted++
    expect(admitted).toBe(1_000_000)
    const refused = limiter.consume([{ bucket: 'k', policy }], 1_000_000 + 10_000)[0]!
    expect(refused).toMatchObject({ allowed: false, remaining: 0 })
    // Requests from the first second leave the window after it and its slot have passed: 61 s.
    expect(refused.resetSeconds).toBe(51)
    expect(limiter.consume([{ bucket: 'k', policy }], 1_000_000 + 61_000)[0]!.allowed).toBe(true)
  })

  it('counts a request of two classes in both or in neither', () => {
    const limiter = new MemoryRateLimiter()
    const general = { name: 'general', limit: 5, windowSeconds: 60 }
    const send = { name: 'send', limit: 2, windowSeconds: 60 }
    const both = [{ bucket: 'k:general', policy: general }, { bucket: 'k:send', policy: send }]
    expect(limiter.consume(both, 0).map((d) => d.allowed)).toEqual([true, true])
    expect(limiter.consume(both, 1).map((d) => d.allowed)).toEqual([true, true])
    const refused = limiter.consume(both, 2)
    expect(refused.map((d) => d.allowed)).toEqual([true, false])
    // general was not spent by the refused request: 3 left, not 2.
    expect(refused[0]!.remaining).toBe(3)
    expect(limiter.consume([{ bucket: 'k:general', policy: general }], 3)[0]!.remaining).toBe(2)
  })
})
