import type { Logger } from 'pino'
import type { Principal } from '../core/principal.js'
import type { CoreDb, UsageDailyTable } from '../storage/db.js'

/** What the recorder needs of a finished request; the HTTP doorway's RequestOutcome is one. */
export interface UsageObservation {
  principal: Principal | undefined
  status: number
  /** Epoch milliseconds. */
  at: number
}

const outcomeOf = (status: number): UsageDailyTable['outcome'] =>
  status === 429 ? '429' : status >= 500 ? '5xx' : status >= 400 ? '4xx' : '2xx'

interface KeyCounts {
  orgId: string
  /** Per UTC day: counts for 2xx, 4xx, 429, 5xx. */
  days: Map<string, [number, number, number, number]>
}

const outcomes: UsageDailyTable['outcome'][] = ['2xx', '4xx', '429', '5xx']
const DAY_MS = 86_400_000
const ROWS_PER_STATEMENT = 500

/**
 * Counts requests per key, UTC day and outcome in memory and adds them to `usage_daily` every few
 * seconds and on shutdown, as batched upserts: no database write per request.
 */
export class UsageRecorder {
  // Keyed by key id: the principal's id string is the same object on every request, so the map
  // look-up hashes nothing; the day string is rebuilt only when the UTC day changes.
  #pending = new Map<string, KeyCounts>()
  #dayEndsAt = 0
  #day = ''
  #timer: NodeJS.Timeout | undefined
  // The timer's flush and the shutdown flush must not overlap: stop() waits for the one in flight.
  #flushing: Promise<void> = Promise.resolve()

  constructor(
    private readonly db: CoreDb,
    private readonly log: Logger,
    private readonly intervalMs = 5000,
  ) {}

  observe = (outcome: UsageObservation): void => {
    const p = outcome.principal
    if (!p || p.kind !== 'org_key') return
    if (outcome.at >= this.#dayEndsAt || outcome.at < this.#dayEndsAt - DAY_MS) {
      this.#day = new Date(outcome.at).toISOString().slice(0, 10)
      this.#dayEndsAt = (Math.floor(outcome.at / DAY_MS) + 1) * DAY_MS
    }
    this.#add(p.orgId, p.keyId, this.#day, outcomes.indexOf(outcomeOf(outcome.status)), 1)
  }

  #add(orgId: string, keyId: string, dayKey: string, outcome: number, n: number): void {
    let counts = this.#pending.get(keyId)
    if (!counts) {
      counts = { orgId, days: new Map() }
      this.#pending.set(keyId, counts)
    }
    let day = counts.days.get(dayKey)
    if (!day) {
      day = [0, 0, 0, 0]
      counts.days.set(dayKey, day)
    }
    day[outcome]! += n
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.intervalMs)
    this.#timer.unref()
  }

  /** Writes what has been counted so far; concurrent calls run one after the other. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write())
    return this.#flushing
  }

  async #write(): Promise<void> {
    if (this.#pending.size === 0) return
    const batch = this.#pending
    this.#pending = new Map()
    try {
      const rows = rowsOf(batch)
      await this.db.transaction().execute(async (trx) => {
        // Many rows per statement, few enough to stay under SQLite's bound-parameter limit. A batch
        // holds each (org, key, day, outcome) once, as PostgreSQL's ON CONFLICT requires.
        for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
          await trx
            .insertInto('usage_daily')
            .values(rows.slice(i, i + ROWS_PER_STATEMENT))
            .onConflict((oc) => oc.columns(['org_id', 'key_id', 'day', 'outcome']).doUpdateSet((eb) => ({ count: eb('usage_daily.count', '+', eb.ref('excluded.count')) })))
            .execute()
        }
      })
    } catch (err) {
      this.log.warn({ err }, 'could not write usage counts; will retry')
      for (const row of rowsOf(batch)) this.#add(row.org_id, row.key_id, row.day, outcomes.indexOf(row.outcome), row.count)
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.flush()
  }
}

function rowsOf(batch: Map<string, KeyCounts>): UsageDailyTable[] {
  const rows: UsageDailyTable[] = []
  for (const [key_id, { orgId, days }] of batch) {
    for (const [day, counts] of days) {
      counts.forEach((count, i) => {
        if (count > 0) rows.push({ org_id: orgId, key_id, day, outcome: outcomes[i]!, count })
      })
    }
  }
  return rows
}
