import { sql, type Kysely } from 'kysely'
import type { ApiKeyCreditsTable, CoreTables } from '../../storage/db.js'
import { refillPeriod, type RefillInterval } from './refill-period.js'

export type CreditsRow = ApiKeyCreditsTable

export interface CreditsSetting {
  remaining: number
  refill?: { amount: number; interval: RefillInterval } | undefined
}

/** What one take did: how much it took and what is left, in which period and version of the balance. */
export interface Taken {
  taken: number
  remaining: number
  version: number
  period: string
}

type Db = Kysely<CoreTables>

/** The balance as of period `p`: the refill amount if the stored balance is from an earlier period. */
const due = (p: string) => sql<boolean>`(refill_amount is not null and period < ${p})`
const balance = (p: string) => sql<number>`(case when ${due(p)} then refill_amount else remaining end)`

/**
 * Credits in the database. Every change is one statement, so concurrent instances never spend
 * more than there is and a due refill is applied by exactly one of them: the first statement to
 * reach the row after the period turned refills it, the others see it refilled.
 */
export class CreditStore {
  constructor(private readonly db: Db) {}

  get(keyId: string, db: Db = this.db): Promise<CreditsRow | undefined> {
    return db.selectFrom('api_key_credits').selectAll().where('key_id', '=', keyId).executeTakeFirst()
  }

  async getMany(keyIds: string[]): Promise<Map<string, CreditsRow>> {
    if (keyIds.length === 0) return new Map()
    const rows = await this.db.selectFrom('api_key_credits').selectAll().where('key_id', 'in', keyIds).execute()
    return new Map(rows.map((r) => [r.key_id, r]))
  }

  /** Sets the balance (and refill) from now on, or removes the cap (`null`); a new version either way. */
  async set(keyId: string, setting: CreditsSetting | null, at: number, db: Db = this.db): Promise<CreditsRow | undefined> {
    if (setting === null) {
      await db.deleteFrom('api_key_credits').where('key_id', '=', keyId).execute()
      return undefined
    }
    const interval = setting.refill?.interval ?? null
    const values = {
      remaining: setting.remaining,
      base: setting.remaining,
      refill_amount: setting.refill?.amount ?? null,
      refill_interval: interval,
      period: refillPeriod(interval, at),
      taken: 0,
      updated_at: new Date(at).toISOString(),
    }
    return db
      .insertInto('api_key_credits')
      .values({ key_id: keyId, version: 1, ...values })
      .onConflict((oc) => oc.column('key_id').doUpdateSet({ ...values, version: sql<number>`api_key_credits.version + 1` }))
      .returningAll()
      .executeTakeFirstOrThrow()
  }

  /**
   * Takes up to `want` credits if at least `min` are there (after a due refill): one atomic
   * statement. Undefined when the key has no cap or fewer than `min` remain.
   */
  async take(keyId: string, want: number, min: number, at: number, interval: RefillInterval | null, db: Db = this.db): Promise<Taken | undefined> {
    const p = refillPeriod(interval, at)
    const r = balance(p)
    const row = await db
      .updateTable('api_key_credits')
      .set({
        taken: sql<number>`case when ${r} >= ${want} then ${want} else ${r} end`,
        remaining: sql<number>`case when ${r} >= ${want} then ${r} - ${want} else 0 end`,
        base: sql<number>`case when ${due(p)} then refill_amount else base end`,
        period: sql<string>`case when ${due(p)} then ${p} else period end`,
        updated_at: new Date(at).toISOString(),
      })
      .where('key_id', '=', keyId)
      .where(sql<boolean>`${r} >= ${min}`)
      .returning(['taken', 'remaining', 'version', 'period'])
      .executeTakeFirst()
    return row ? { taken: Number(row.taken), remaining: Number(row.remaining), version: row.version, period: row.period } : undefined
  }

  /** Hands back credits taken and not spent, unless the balance was set or refilled since. */
  async giveBack(keyId: string, amount: number, version: number, period: string, db: Db = this.db): Promise<void> {
    if (amount <= 0) return
    await db
      .updateTable('api_key_credits')
      .set({ remaining: sql<number>`remaining + ${amount}` })
      .where('key_id', '=', keyId)
      .where('version', '=', version)
      .where('period', '=', period)
      .execute()
  }
}

/** The balance a row stands for at `at`: a due refill counts as done. */
export function remainingAt(row: Pick<CreditsRow, 'remaining' | 'refill_amount' | 'refill_interval' | 'period'>, at: number): number {
  if (row.refill_amount !== null && row.period < refillPeriod(row.refill_interval, at)) return Number(row.refill_amount)
  return Number(row.remaining)
}
