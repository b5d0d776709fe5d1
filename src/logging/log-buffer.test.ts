import { describe, expect, it } from 'vitest'
import { LogBuffer, type LogDestination } from './log-buffer.js'

function destination() {
  const writes: string[] = []
  const calls: string[] = []
  const dest: LogDestination = {
    write: (text) => writes.push(text),
    flush: (callback) => {
      calls.push('flush')
      callback?.()
    },
    flushSync: () => void calls.push('flushSync'),
  }
  return { dest, writes, calls }
}

describe('the log buffer', () => {
  it('hands lines over in blocks, in order, once a block is full', () => {
    const { dest, writes } = destination()
    const buffer = new LogBuffer(dest, 100)
    for (let i = 0; i < 25; i++) buffer.write(`line ${String(i).padStart(2, '0')}\n`)
    // 8 bytes a line: a block every 13 lines.
    expect(writes).toHaveLength(1)
    expect(writes[0]).toBe(Array.from({ length: 13 }, (_, i) => `line ${String(i).padStart(2, '0')}\n`).join(''))
    buffer.flush()
    expect(writes.join('')).toBe(Array.from({ length: 25 }, (_, i) => `line ${String(i).padStart(2, '0')}\n`).join(''))
  })

  it('hands what is pending over before the destination flushes, synchronously at exit too, and writes nothing empty', () => {
    const { dest, writes, calls } = destination()
    const buffer = new LogBuffer(dest)
    buffer.flush()
    expect(writes).toEqual([])
    buffer.write('a\n')
    let flushed = false
    buffer.flush(() => (flushed = true))
    expect([writes, flushed]).toEqual([['a\n'], true])
    buffer.write('b\n')
    buffer.flushSync()
    expect(writes).toEqual(['a\n', 'b\n'])
    expect(calls).toEqual(['flush', 'flush', 'flushSync'])
  })
})
