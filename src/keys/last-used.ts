import type { Logger } from 'pino'
import type { KeyStore } from './key-store.js'

/**
 * `last_used_at` without a database write per request: times gather in memory and are written
 * in one batch every few seconds and on shutdown.
 */
export class LastUsedTracker {
  #pending = new Map<string, number>()
  #timer: NodeJS.Timeout | undefined

  constructor(
    private readonly store: KeyStore,
    private readonly log: Logger,
    private readonly intervalMs = 5000,
  ) {}

  touch(keyId: string, at: number): void {
    this.#pending.set(keyId, at)
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.intervalMs)
    this.#timer.unref()
  }

  async flush(): Promise<void> {
    if (this.#pending.size === 0) return
    const batch = this.#pending
    this.#pending = new Map()
    try {
      await this.store.touchLastUsed(new Map([...batch].map(([id, at]) => [id, new Date(at).toISOString()])))
    } catch (err) {
      this.log.warn({ err }, 'could not record key last use; will retry')
      for (const [id, at] of batch) if (!this.#pending.has(id)) this.#pending.set(id, at)
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.flush()
  }
}
