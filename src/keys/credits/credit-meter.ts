import type { Logger } from 'pino'
import { CreditStore, remainingAt } from './credit-store.js'
import { nextRefillAt, refillPeriod, type RefillInterval } from './refill-period.js'

/** What admission needs of a key with a balance, from its cached row. */
export interface CreditedKey {
  id: string
  version: number
  interval: RefillInterval | null
}

export interface CreditSpend {
  allowed: boolean
  /** The balance after this request (refused: as it stands). */
  remaining: number
  /** Refused and refilled: whole seconds until the next refill. */
  retryAfter?: number
}

/**
 * Spends a key's credits, never more than it has. Two implementations: every spend one atomic
 * statement in the database (several instances on PostgreSQL), or credits taken from the
 * database in small blocks and spent from memory (one process on a SQLite file), so the common
 * request there awaits nothing.
 */
export interface CreditMeter {
  spend(key: CreditedKey, cost: number, at: number): CreditSpend | Promise<CreditSpend>
  /** Credits this process took for the key and has not spent yet (counted in views of the balance). */
  held(keyId: string, version: number, period: string): number
  /** Hands back what is held (shutdown). */
  close(): Promise<void>
}

function secondsToRefill(interval: RefillInterval | null, at: number): number | undefined {
  return interval ? Math.max(1, Math.ceil((nextRefillAt(interval, at) - at) / 1000)) : undefined
}

async function refusal(store: CreditStore, key: CreditedKey, held: number, at: number): Promise<CreditSpend> {
  const row = await store.get(key.id)
  const remaining = (row ? remainingAt(row, at) : 0) + held
  const retryAfter = secondsToRefill(key.interval, at)
  return retryAfter === undefined ? { allowed: false, remaining } : { allowed: false, remaining, retryAfter }
}

/** Every spend is one statement in the database: exact across any number of instances. */
export class DatabaseCreditMeter implements CreditMeter {
  constructor(private readonly store: CreditStore) {}

  async spend(key: CreditedKey, cost: number, at: number): Promise<CreditSpend> {
    if (cost === 0) return this.#peek(key, at)
    const taken = await this.store.take(key.id, cost, cost, at, key.interval)
    return taken ? { allowed: true, remaining: taken.remaining } : refusal(this.store, key, 0, at)
  }

  async #peek(key: CreditedKey, at: number): Promise<CreditSpend> {
    const row = await this.store.get(key.id)
    return { allowed: true, remaining: row ? remainingAt(row, at) : 0 }
  }

  held(): number {
    return 0
  }

  async close(): Promise<void> {}
}

interface Held {
  version: number
  period: string
  /** Taken from the database, not spent yet. */
  held: number
  /** The database's balance after the last take: with `held`, the key's balance. */
  stored: number
  /** A take under way: spends that need more wait for it instead of taking in parallel. */
  taking: Promise<void> | null
  /** How many the next take asks for, and when the last one was made. */
  block: number
  takenAt: number
}

/** The most one take holds: what a crash can cost a key at most (credits taken and never spent). */
export const MAX_BLOCK = 10_000
/** A block spent within this long makes the next four times larger; one lasting five times as long, a quarter. */
const BLOCK_MS = 1000

/**
 * For one process on its database (SQLite): credits are taken from the database a block at a
 * time and spent from memory, synchronously. A block grows while blocks are spent within a second
 * and shrinks when they last longer, so a busy key reaches the database a few times a second at
 * most and a quiet one holds little; it is never more than a twentieth of the balance or
 * MAX_BLOCK. The database never holds more than is left, so a crash can only lose credits held
 * (about a second's spending), never spend more; shutdown hands them back. A balance set anew (a
 * new version) or a refill (a new period) drops what was held, as the database's balance is
 * replaced.
 */
export class MemoryCreditMeter implements CreditMeter {
  readonly #held = new Map<string, Held>()

  constructor(
    private readonly store: CreditStore,
    private readonly log: Logger,
  ) {}

  spend(key: CreditedKey, cost: number, at: number): CreditSpend | Promise<CreditSpend> {
    const period = refillPeriod(key.interval, at)
    let entry = this.#held.get(key.id)
    if (entry && (entry.version < key.version || entry.period < period) && !entry.taking) {
      this.#held.delete(key.id)
      entry = undefined
    }
    if (entry && !entry.taking && entry.held >= cost) {
      entry.held -= cost
      return { allowed: true, remaining: entry.stored + entry.held }
    }
    return this.#spendTaking(key, cost, at, period)
  }

  async #spendTaking(key: CreditedKey, cost: number, at: number, period: string): Promise<CreditSpend> {
    for (;;) {
      let entry = this.#held.get(key.id)
      if (entry?.taking) {
        await entry.taking
        continue
      }
      if (entry && (entry.version < key.version || entry.period < period)) {
        this.#held.delete(key.id)
        entry = undefined
      }
      const held = entry?.held ?? 0
      if (held >= cost) {
        entry!.held -= cost
        return { allowed: true, remaining: entry!.stored + entry!.held }
      }
      const need = cost - held
      const since = at - (entry?.takenAt ?? -Infinity)
      const last = entry?.block ?? 1
      const block = since < BLOCK_MS ? Math.min(MAX_BLOCK, last * 4) : since > 5 * BLOCK_MS ? Math.max(1, Math.floor(last / 4)) : last
      const want = Math.max(need, Math.min(block, Math.floor((entry?.stored ?? 0) / 20)))
      let result: CreditSpend | undefined
      const taking = this.store.take(key.id, want, need, at, key.interval).then(async (taken) => {
        if (!taken) {
          result = await refusal(this.store, key, held, at)
          return
        }
        // Taken in a newer version or period than what was held: the old credits are gone.
        const carried = entry && entry.version === taken.version && entry.period === taken.period ? entry.held : 0
        if (carried < held) {
          result = undefined
          this.#held.set(key.id, { version: taken.version, period: taken.period, held: taken.taken, stored: taken.remaining, taking: null, block, takenAt: at })
          return
        }
        const next = { version: taken.version, period: taken.period, held: carried + taken.taken - cost, stored: taken.remaining, taking: null, block, takenAt: at }
        this.#held.set(key.id, next)
        result = { allowed: true, remaining: next.stored + next.held }
      })
      const placeholder: Held = entry ?? { version: key.version, period, held: 0, stored: 0, taking: null, block: 1, takenAt: -Infinity }
      placeholder.taking = taking.finally(() => {
        placeholder.taking = null
      })
      this.#held.set(key.id, placeholder)
      await placeholder.taking
      if (result) return result
      // The balance changed under the take: spend again from what is held now.
    }
  }

  held(keyId: string, version: number, period: string): number {
    const entry = this.#held.get(keyId)
    return entry && entry.version === version && entry.period === period ? entry.held : 0
  }

  async close(): Promise<void> {
    const entries = [...this.#held]
    this.#held.clear()
    for (const [keyId, entry] of entries) {
      await this.store.giveBack(keyId, entry.held, entry.version, entry.period).catch((err: unknown) => this.log.warn({ err }, 'could not hand back held credits'))
    }
  }
}
