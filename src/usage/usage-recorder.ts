import type { Logger } from 'pino'
import type { RequestOutcome } from '../http/request-observer.js'
import type { CoreDb, UsageDailyTable } from '../storage/db.js'

const outcomeOf = (status: number): UsageDailyTable['outcome'] =>
  status === 429 ? '429' : status >= 500 ? '5xx' : status >= 400 ? '4xx' : '2xx'

/**
 * Counts requests per key, UTC day and outcome in memory and adds them to `usage_daily` every few
 * seconds and on shutdown, with one upsert per counter: no database write per request.
 */
export class UsageRecorder {
  #pending = new Map<string, number>()
  #timer: NodeJS.Timeout | undefined

  constructor(
    private readonly db: CoreDb,
    private readonly log: Logger,
    private readonly intervalMs = 5000,
  ) {}

  observe = (outcome: RequestOutcome): void => {
    const p = outcome.principal
    if (!p || p.kind !== 'org_key') return
    const day = new Date(outcome.at).toISOString().slice(0, 10)
    const key = `${p.orgId}|${p.keyId}|${day}|${outcomeOf(outcome.status)}`
    this.#pending.set(key, (this.#pending.get(key) ?? 0) + 1)
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
      await this.db.transaction().execute(async (trx) => {
        for (const [key, count] of batch) {
          const [org_id, key_id, day, outcome] = key.split('|') as [string, string, string, UsageDailyTable['outcome']]
          await trx
            .insertInto('usage_daily')
            .values({ org_id, key_id, day, outcome, count })
            .onConflict((oc) => oc.columns(['org_id', 'key_id', 'day', 'outcome']).doUpdateSet((eb) => ({ count: eb('usage_daily.count', '+', eb.ref('excluded.count')) })))
            .execute()
        }
      })
    } catch (err) {
      this.log.warn({ err }, 'could not write usage counts; will retry')
      for (const [key, count] of batch) this.#pending.set(key, (this.#pending.get(key) ?? 0) + count)
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.flush()
  }
}
