import { describe, expect, it } from 'vitest'
import { MemoryRateLimiter } from './memory.js'

/** The definition, kept naive: admitted times in the last window, from a plain list. */
function reference(limit: number, windowMs: number) {
  const admitted: number[] = []
  return (at: number) => {
    const inWindow = admitted.filter((t) => t > at - windowMs)
    if (inWindow.length >= limit) return { allowed: false, remaining: 0, freeAt: inWindow[inWindow.length - limit]! + windowMs }
    admitted.push(at)
    return { allowed: true, remaining: limit - inWindow.length - 1, freeAt: null }
  }
}

describe('in-process sliding-window log', () => {
  it('agrees with the definition through bursts, gaps, ring wrap-arounds and growth', () => {
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

  it('never holds more than the limit in any window, with a limit far above the first capacity', () => {
    const limiter = new MemoryRateLimiter()
    const policy = { name: 'general', limit: 10_000, windowSeconds: 60 }
    let admitted = 0
    for (let i = 0; i < 25_000; i++) if (limiter.consume([{ bucket: 'k', policy }], 1000 + i)[0]!.allowed) admitted++
    expect(admitted).toBe(10_000)
    // The first 10,000 leave the window 60 s after they came; the next ones fit again.
    expect(limiter.consume([{ bucket: 'k', policy }], 1000 + 60_000)[0]!.allowed).toBe(true)
  })
})
