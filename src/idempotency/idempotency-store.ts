import type { Kysely } from 'kysely'
import { now, type CoreTables } from '../storage/db.js'

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000

export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; body: string }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' }

/** Stripe-style idempotency: the first request with a key owns it; later ones replay its answer. */
export class IdempotencyStore {
  constructor(private readonly db: Kysely<CoreTables>) {}

  /** Atomic: of concurrent callers with one key, exactly one receives `claimed`. */
  async claim(ownerId: string, key: string, requestHash: string, at = Date.now()): Promise<IdempotencyClaim> {
    const stale = new Date(at - IDEMPOTENCY_TTL_MS).toISOString()
    // A record older than 24 h is forgotten, so the key may be used afresh.
    await this.db.deleteFrom('idempotency_keys').where('owner_id', '=', ownerId).where('key', '=', key).where('created_at', '<=', stale).execute()
    const inserted = await this.db
      .insertInto('idempotency_keys')
      .values({ owner_id: ownerId, key, request_hash: requestHash, state: 'pending', response_status: null, response_body: null, created_at: now() })
      .onConflict((oc) => oc.columns(['owner_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst()
    if (inserted) return { kind: 'claimed' }
    const existing = await this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .where('key', '=', key)
      .executeTakeFirst()
    if (!existing) return this.claim(ownerId, key, requestHash, at)
    if (existing.request_hash !== requestHash) return { kind: 'mismatch' }
    if (existing.state !== 'done') return { kind: 'in_progress' }
    return { kind: 'replay', status: existing.response_status ?? 200, body: existing.response_body ?? 'null' }
  }

  async complete(ownerId: string, key: string, status: number, body: string): Promise<void> {
    await this.db
      .updateTable('idempotency_keys')
      .set({ state: 'done', response_status: status, response_body: body })
      .where('owner_id', '=', ownerId)
      .where('key', '=', key)
      .execute()
  }

  /** A request that failed on our side releases its key so the client can retry it. */
  async release(ownerId: string, key: string): Promise<void> {
    await this.db.deleteFrom('idempotency_keys').where('owner_id', '=', ownerId).where('key', '=', key).where('state', '=', 'pending').execute()
  }

  async purgeExpired(at = Date.now()): Promise<number> {
    const result = await this.db
      .deleteFrom('idempotency_keys')
      .where('created_at', '<=', new Date(at - IDEMPOTENCY_TTL_MS).toISOString())
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}
