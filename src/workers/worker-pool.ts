import { availableParallelism } from 'node:os'
import { Worker, type ResourceLimits } from 'node:worker_threads'

/** Why a task got no answer: the caller decides what each means to its client. */
export type WorkerFailure = 'timeout' | 'resources' | 'crashed' | 'busy' | 'closed'

export class WorkerTaskError extends Error {
  constructor(
    readonly reason: WorkerFailure,
    message: string,
  ) {
    super(message)
    this.name = 'WorkerTaskError'
  }
}

/** A worker's answer to one task; a thrown error travels as its message only. */
type TaskReply<R> = { ok: true; value: R } | { ok: false; error: string }

export interface WorkerPoolOptions {
  /**
   * The worker's module (see `siblingModule`): its default export answers one task,
   * `(task) => result | Promise<result>`. It needs nothing from Portico; the pool's own entry
   * loads it and carries tasks and answers.
   */
  module: URL
  /** How long one task may run once a worker has it; past that the worker is terminated. */
  timeoutMs: number
  /** V8 heap caps for each worker; a worker that exceeds them dies and its task fails with `resources`. */
  resourceLimits?: ResourceLimits
  /** Workers at most (default: one fewer than the cores, at least one), started when needed and kept. */
  size?: number
  /** Tasks that may wait for a worker (default 32); beyond that `run` fails at once with `busy`. */
  maxQueue?: number
  name?: string
}

interface Pending<R> {
  task: unknown
  resolve(value: R): void
  reject(error: Error): void
}

interface Slot<R> {
  worker: Worker
  ready: boolean
  current?: Pending<R> & { timer: NodeJS.Timeout }
}

/**
 * `./name.ts` beside a source module run through tsx, `./name.js` beside its compiled copy: the
 * same call finds a worker module in both.
 */
export function siblingModule(importMetaUrl: string, name: string): URL {
  return new URL(`./${name}${importMetaUrl.endsWith('.ts') ? '.ts' : '.js'}`, importMetaUrl)
}

/**
 * The worker's entry: loads the task module (through tsx when it is TypeScript, since the main
 * thread's loader is not inherited by workers), then answers each task with its default export,
 * one at a time, after telling the pool it is ready (so start-up never counts against a task).
 */
function entryOf(module: URL): URL {
  const tsx = module.pathname.endsWith('.ts') ? `const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}); register();` : ''
  const source = `import { parentPort } from 'node:worker_threads';
${tsx}
const { default: handle } = await import(${JSON.stringify(module.href)});
parentPort.on('message', async ({ task }) => {
  let reply;
  try { reply = { ok: true, value: await handle(task) } } catch (error) { reply = { ok: false, error: String(error?.message ?? error) } }
  parentPort.postMessage(reply);
});
parentPort.postMessage({ ready: true });`
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`)
}

/**
 * CPU-heavy or hostile work (parsing an uploaded file) off the event loop: a few long-lived worker
 * threads, each task bounded in time (the worker is terminated on overrun) and in heap, with a
 * bounded queue. A worker that dies is replaced on the next task. `close()` terminates them all;
 * the pool may be used again afterwards and starts fresh workers.
 */
export class WorkerPool<T, R> {
  readonly #options: Required<Omit<WorkerPoolOptions, 'resourceLimits' | 'name'>> & Pick<WorkerPoolOptions, 'resourceLimits' | 'name'>
  readonly #slots = new Set<Slot<R>>()
  readonly #queue: Pending<R>[] = []

  constructor(options: WorkerPoolOptions) {
    this.#options = {
      size: Math.max(1, availableParallelism() - 1),
      maxQueue: 32,
      ...options,
    }
  }

  run(task: T): Promise<R> {
    if (this.#queue.length >= this.#options.maxQueue) {
      return Promise.reject(new WorkerTaskError('busy', 'Too many tasks are waiting for a worker'))
    }
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ task, resolve, reject })
      this.#dispatch()
    })
  }

  /** Starts a worker now, so the first task does not wait for one to load. */
  warm(): void {
    if (this.#slots.size === 0) this.#spawn()
  }

  /** Terminates every worker; running and waiting tasks fail with `closed`. */
  async close(): Promise<void> {
    for (const waiting of this.#queue.splice(0)) waiting.reject(new WorkerTaskError('closed', 'The worker pool was shut down'))
    const slots = [...this.#slots]
    this.#slots.clear()
    await Promise.all(
      slots.map((slot) => {
        if (slot.current) {
          clearTimeout(slot.current.timer)
          slot.current.reject(new WorkerTaskError('closed', 'The worker pool was shut down'))
        }
        return slot.worker.terminate()
      }),
    )
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return
      if (slot.ready && !slot.current) this.#give(slot, this.#queue.shift()!)
    }
    const starting = [...this.#slots].filter((s) => !s.ready).length
    if (this.#queue.length > starting && this.#slots.size < this.#options.size) this.#spawn()
  }

  #give(slot: Slot<R>, pending: Pending<R>): void {
    // The clock starts when a worker has the task: waiting in the queue or for start-up is not its fault.
    const timer = setTimeout(() => {
      this.#drop(slot, new WorkerTaskError('timeout', `The task ran for more than ${this.#options.timeoutMs} ms`))
    }, this.#options.timeoutMs)
    slot.current = { ...pending, timer }
    slot.worker.ref()
    slot.worker.postMessage({ task: pending.task })
  }

  #spawn(): void {
    const worker = new Worker(entryOf(this.#options.module), {
      resourceLimits: this.#options.resourceLimits,
      name: this.#options.name,
    })
    const slot: Slot<R> = { worker, ready: false }
    this.#slots.add(slot)
    // An idle worker never keeps the process alive.
    worker.unref()
    worker.on('message', (message: TaskReply<R> | { ready: true }) => {
      if ('ready' in message) {
        slot.ready = true
        this.#dispatch()
        return
      }
      const current = slot.current
      if (!current) return
      clearTimeout(current.timer)
      slot.current = undefined
      worker.unref()
      if (message.ok) current.resolve(message.value)
      else current.reject(new WorkerTaskError('crashed', message.error))
      this.#dispatch()
    })
    worker.on('error', (error: Error & { code?: string }) => {
      const reason = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'resources' : 'crashed'
      if (!slot.ready) {
        // It never started (a missing module, a syntax error): every waiting task would meet the same fate.
        this.#slots.delete(slot)
        for (const waiting of this.#queue.splice(0)) waiting.reject(new WorkerTaskError('crashed', `The worker did not start: ${error.message}`))
        return
      }
      this.#drop(slot, new WorkerTaskError(reason, reason === 'resources' ? 'The task needed more memory than a worker may use' : error.message))
    })
    worker.on('exit', () => this.#drop(slot, new WorkerTaskError('crashed', 'The worker exited')))
  }

  /** Fails the slot's task, if any, and discards its worker; the next task starts a new one. */
  #drop(slot: Slot<R>, error: WorkerTaskError): void {
    if (!this.#slots.delete(slot)) return
    if (slot.current) {
      clearTimeout(slot.current.timer)
      slot.current.reject(error)
      slot.current = undefined
    }
    void slot.worker.terminate()
    this.#dispatch()
  }
}
