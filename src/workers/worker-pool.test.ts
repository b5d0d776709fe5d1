import { afterAll, describe, expect, it } from 'vitest'
import { siblingModule, WorkerPool, WorkerTaskError } from './worker-pool.js'

it('finds a worker module beside its caller, .ts in the sources and .js once compiled', () => {
  expect(siblingModule('file:///app/src/pdf.ts', 'pdf-worker').href).toBe('file:///app/src/pdf-worker.ts')
  expect(siblingModule('file:///app/dist/src/pdf.js', 'pdf-worker').href).toBe('file:///app/dist/src/pdf-worker.js')
})

type Task = { kind: 'echo' | 'spin' | 'grow' | 'throw'; value?: number }

describe('WorkerPool', () => {
  const pool = new WorkerPool<Task, number>({
    module: new URL('../../test/pool-worker.ts', import.meta.url),
    timeoutMs: 1500,
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    size: 1,
    maxQueue: 3,
  })
  afterAll(() => pool.close())

  const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as WorkerTaskError)

  it('answers tasks on a reused worker', async () => {
    expect(await pool.run({ kind: 'echo', value: 1 })).toBe(2)
    expect(await Promise.all([1, 2, 3].map((value) => pool.run({ kind: 'echo', value })))).toEqual([2, 3, 4])
  })

  it('terminates a task that overruns its time, and the next task gets a fresh worker', async () => {
    const started = Date.now()
    const error = await failure(pool.run({ kind: 'spin' }))
    expect(error).toBeInstanceOf(WorkerTaskError)
    expect(error!.reason).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(await pool.run({ kind: 'echo', value: 5 })).toBe(6)
  })

  it('fails a task that outgrows the heap cap with `resources`, and carries on', async () => {
    expect((await failure(pool.run({ kind: 'grow' })))!.reason).toBe('resources')
    expect(await pool.run({ kind: 'echo', value: 7 })).toBe(8)
  })

  it('passes a thrown error on, refuses past the queue bound, and fails what is left on close', async () => {
    expect((await failure(pool.run({ kind: 'throw' })))!.message).toBe('refused by the handler')
    const running = failure(pool.run({ kind: 'spin' }))
    const waiting = [1, 2, 3].map(() => failure(pool.run({ kind: 'echo' })))
    expect((await failure(pool.run({ kind: 'echo' })))!.reason).toBe('busy')
    await new Promise((r) => setTimeout(r, 200))
    await pool.close()
    expect((await running)!.reason).toBe('closed')
    for (const w of waiting) expect((await w)!.reason).toBe('closed')
    // Usable again after close: a new worker starts.
    expect(await pool.run({ kind: 'echo', value: 9 })).toBe(10)
  })
})

it('runs a plain JavaScript worker module directly, as a compiled product does', async () => {
  const pool = new WorkerPool<{ value: number }, { doubled: number }>({ module: new URL('../../test/pool-worker.mjs', import.meta.url), timeoutMs: 5000, size: 1 })
  try {
    expect((await pool.run({ value: 21 })).doubled).toBe(42)
  } finally {
    await pool.close()
  }
})
