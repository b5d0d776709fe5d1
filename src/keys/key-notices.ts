import type { Logger } from 'pino'
import type { AnyDb } from '../core/context.js'
import { z } from '../core/schema.js'
import { runInTransaction, systemMeta, type TransactionDeps } from '../core/transaction.js'
import { coreDb, type CoreDb } from '../storage/db.js'
import { refillPeriod } from './credits/refill-period.js'
import { KeySchema, toKeyView } from './key-schema.js'
import type { KeyRow } from './key-store.js'

const DAY_MS = 86_400_000
/** The notices before expiry, latest first: a key whose 1-day notice is due is past its 7-day one. */
const BEFORE = [
  { kind: 'expiring_1d', expiresIn: '1d', ms: DAY_MS },
  { kind: 'expiring_7d', expiresIn: '7d', ms: 7 * DAY_MS },
] as const
/** Keys that expired longer ago than this get no `api_key.expired` (a worker that was down for weeks does not flood). */
const EXPIRED_LOOKBACK_MS = 7 * DAY_MS
const BATCH = 1000

export const ExpiringEventSchema = z.object({
  key: KeySchema,
  expires_in: z.enum(['7d', '1d']).openapi({ description: 'Which notice this is: 7 days or 1 day before `key.expires_at`.' }),
})
export const ExpiredEventSchema = z.object({ key: KeySchema })
export const CreditsLowEventSchema = z.object({
  key: KeySchema,
  remaining: z.number().int().openapi({ description: 'Credits left when the worker looked.' }),
  base: z.number().int().openapi({ description: 'The last refill, or the amount last set: `remaining` is under 10% of it.' }),
})

interface Due {
  row: KeyRow
  kind: string
  /** Markers for earlier notices that are no longer worth sending, written with this one. */
  skipped: string[]
  event: { type: string; data: unknown }
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Notices about organisation keys, sent by the worker (the process that runs the webhook
 * dispatcher): `api_key.expiring` 7 days and 1 day before `expires_at`, `api_key.expired`, and
 * `api_key.credits_low`.
 * Each is sent once however many workers scan: the event is appended in the transaction that
 * inserts the notice's row into `key_notices`, whose primary key (key, kind) lets only one
 * transaction insert it. A notice whose moment the key was created inside (a key minted to expire
 * in 3 days gets no 7-day notice) or that a later one overtook (a worker that was down) is skipped.
 * Revoked keys get none.
 */
export class KeyNotices {
  readonly #db: CoreDb
  #timer: NodeJS.Timeout | undefined
  #running: Promise<number> | undefined

  constructor(
    private readonly deps: TransactionDeps & { log: Logger },
    private readonly everyMs = 60_000,
  ) {
    this.#db = coreDb(deps.db as AnyDb)
  }

  start(): void {
    if (this.#timer) return
    const loop = () => {
      void this.scan()
        .catch((err: unknown) => this.deps.log.warn({ err }, 'key notices: scan failed; retried at the next one'))
        .finally(() => {
          if (this.#timer) this.#timer = setTimeout(loop, this.everyMs).unref()
        })
    }
    this.#timer = setTimeout(loop, Math.min(1000, this.everyMs)).unref()
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#running?.catch(() => {})
  }

  /** One pass: sends every notice due at `at`; returns how many this process sent. */
  scan(at = Date.now()): Promise<number> {
    const run = this.#scan(at)
    this.#running = run
    return run
  }

  async #scan(at: number): Promise<number> {
    const rows = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('owner_type', '=', 'org')
      .where('expires_at', 'is not', null)
      .where('expires_at', '>', iso(at - EXPIRED_LOOKBACK_MS))
      .where('expires_at', '<=', iso(at + 7 * DAY_MS))
      .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', iso(at - EXPIRED_LOOKBACK_MS))]))
      .where((eb) => eb.not(eb.exists(eb.selectFrom('key_notices').select('key_id').whereRef('key_notices.key_id', '=', 'api_keys.id').where('key_notices.kind', '=', 'expired'))))
      .orderBy('expires_at')
      .limit(BATCH)
      .execute()
    return (await this.#expiry(rows, at)) + (await this.#credits(at))
  }

  async #marks(ids: string[]): Promise<Set<string>> {
    const sent = new Set<string>()
    for (let i = 0; i < ids.length; i += 500) {
      const marks = await this.#db.selectFrom('key_notices').select(['key_id', 'kind']).where('key_id', 'in', ids.slice(i, i + 500)).execute()
      for (const m of marks) sent.add(`${m.key_id}:${m.kind}`)
    }
    return sent
  }

  /**
   * `api_key.credits_low`: remaining under 10% of the last refill or the amount set, once per
   * balance: per refill period and per setting of it (`version`), so a key refilled, or given new
   * credits, can run low again. A balance whose refill is due counts as refilled.
   */
  async #credits(at: number): Promise<number> {
    const day = refillPeriod('daily', at)
    const month = refillPeriod('monthly', at)
    const rows = await this.#db
      .selectFrom('api_key_credits')
      .innerJoin('api_keys', 'api_keys.id', 'api_key_credits.key_id')
      .selectAll('api_keys')
      .select([
        'api_key_credits.remaining as credits_remaining',
        'api_key_credits.base as credits_base',
        'api_key_credits.version as credits_version',
        'api_key_credits.period as credits_period',
      ])
      .where('api_keys.owner_type', '=', 'org')
      .where((eb) => eb(eb('api_key_credits.remaining', '*', 10), '<', eb.ref('api_key_credits.base')))
      .where((eb) =>
        eb.or([
          eb('api_key_credits.refill_amount', 'is', null),
          eb.and([eb('api_key_credits.refill_interval', '=', 'daily'), eb('api_key_credits.period', '>=', day)]),
          eb.and([eb('api_key_credits.refill_interval', '=', 'monthly'), eb('api_key_credits.period', '>=', month)]),
        ]),
      )
      .where((eb) => eb.or([eb('api_keys.revoked_at', 'is', null), eb('api_keys.revoked_at', '>', iso(at))]))
      .where((eb) => eb.or([eb('api_keys.expires_at', 'is', null), eb('api_keys.expires_at', '>', iso(at))]))
      .limit(BATCH)
      .execute()
    if (rows.length === 0) return 0
    const sent = await this.#marks(rows.map((r) => r.id))
    let count = 0
    for (const { credits_remaining, credits_base, credits_version, credits_period, ...row } of rows) {
      const kind = `credits_low:${credits_version}:${credits_period}`
      if (sent.has(`${row.id}:${kind}`)) continue
      const due: Due = { row, kind, skipped: [], event: { type: 'api_key.credits_low', data: { key: toKeyView(row), remaining: Number(credits_remaining), base: Number(credits_base) } } }
      if (await this.#send(due, at)) count++
    }
    return count
  }

  async #expiry(rows: KeyRow[], at: number): Promise<number> {
    if (rows.length === 0) return 0
    const sent = await this.#marks(rows.map((r) => r.id))
    let count = 0
    for (const row of rows) {
      const due = this.#due(row, at, (kind) => sent.has(`${row.id}:${kind}`))
      if (due && (await this.#send(due, at))) count++
    }
    return count
  }

  #due(row: KeyRow, at: number, sent: (kind: string) => boolean): Due | undefined {
    const expiresAt = Date.parse(row.expires_at!)
    const createdAt = Date.parse(row.created_at)
    const revokedAt = row.revoked_at === null ? Infinity : Date.parse(row.revoked_at)
    if (expiresAt <= at) {
      // Revoked before it expired: it never expired as far as its owner is concerned.
      if (revokedAt <= expiresAt || sent('expired')) return undefined
      return { row, kind: 'expired', skipped: BEFORE.map((b) => b.kind).filter((k) => !sent(k)), event: { type: 'api_key.expired', data: { key: toKeyView(row) } } }
    }
    if (revokedAt <= at) return undefined
    const index = BEFORE.findIndex((b) => expiresAt - b.ms <= at)
    if (index === -1) return undefined
    const notice = BEFORE[index]!
    // Created already inside this notice's window: the owner chose the short life, nothing to warn about.
    if (sent(notice.kind) || createdAt > expiresAt - notice.ms) return undefined
    return {
      row,
      kind: notice.kind,
      skipped: BEFORE.slice(index + 1).map((b) => b.kind).filter((k) => !sent(k)),
      event: { type: 'api_key.expiring', data: { key: toKeyView(row), expires_in: notice.expiresIn } },
    }
  }

  /** The marker and the event in one transaction; false when another worker's marker is there. */
  async #send(due: Due, at: number): Promise<boolean> {
    const { db, outbox, auditWriter } = this.deps
    return runInTransaction({ db, outbox, auditWriter }, null, systemMeta('key-notices'), due.row.org_id, async (tx) => {
      const marked = await coreDb(tx.db)
        .insertInto('key_notices')
        .values({ key_id: due.row.id, kind: due.kind, org_id: due.row.org_id, created_at: iso(at) })
        .onConflict((oc) => oc.columns(['key_id', 'kind']).doNothing())
        .returning('key_id')
        .executeTakeFirst()
      if (!marked) return false
      for (const kind of due.skipped) {
        await coreDb(tx.db)
          .insertInto('key_notices')
          .values({ key_id: due.row.id, kind, org_id: due.row.org_id, created_at: iso(at) })
          .onConflict((oc) => oc.columns(['key_id', 'kind']).doNothing())
          .execute()
      }
      await tx.emit(due.event.type, due.event.data)
      return true
    })
  }
}
