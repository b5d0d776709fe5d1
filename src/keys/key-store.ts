import { sql, type Kysely } from 'kysely'
import { likeEscaped } from '../core/list-search.js'
import { type Cursor, beforeCursor } from '../core/pagination.js'
import type { Scope } from '../core/scopes.js'
import { now, type ApiKeysTable, type CoreTables } from '../storage/db.js'

export type KeyRow = ApiKeysTable
/** Whom a key belongs to: an organisation, a reseller, or the deployment itself (service keys). */
export type KeyOwner = { type: 'org'; orgId: string } | { type: 'reseller'; resellerId: string } | { type: 'service' }

/** A key as authentication needs it, with the status of whatever it belongs to. */
export interface KeyWithOwner extends KeyRow {
  owner_status: 'active' | 'suspended'
  org_rate_limits: string | null
  /** The version of the key's credit balance (null: no cap), so a cached key knows whether to count. */
  credits_version: number | null
  credits_interval: 'daily' | 'monthly' | null
  /** The organisation's external id (given by its reseller), for the identity a gateway forwards. */
  org_external_id?: string | null
}

export interface RateLimitOverride {
  limit: number
  window_seconds: number
  /** On an organisation's class only: one pool for all its keys instead of a limit per key. */
  shared?: boolean
}

export function parseScopes(row: Pick<KeyRow, 'scopes'>): Scope[] {
  return JSON.parse(row.scopes) as Scope[]
}

/** Keyed by class names: no prototype, so a class called `constructor` is just that. */
export function parseRateLimits(value: string | null): Record<string, RateLimitOverride> {
  const limits = Object.create(null) as Record<string, RateLimitOverride>
  return value ? Object.assign(limits, JSON.parse(value) as Record<string, RateLimitOverride>) : limits
}

type Db = Kysely<CoreTables>

/** What `GET /keys?status=` filters on; `expiring` is the part of `active` that stops within a week. */
export const keyFilters = ['active', 'expiring', 'expired', 'revoked'] as const
export type KeyFilter = (typeof keyFilters)[number]
export const EXPIRING_WITHIN_MS = 7 * 86_400_000

export interface KeyListFilter {
  status?: KeyFilter | undefined
  /** A case-insensitive part of the name, or the start of the display prefix. */
  search?: string | undefined
}


/** A key with the id of the key that replaced it in a roll, if one did. */
export type KeyRowWithLineage = KeyRow & { replaced_by: string | null }

function ownedBy(owner: KeyOwner) {
  switch (owner.type) {
    case 'org':
      return { column: 'org_id', value: owner.orgId } as const
    case 'reseller':
      return { column: 'reseller_id', value: owner.resellerId } as const
    case 'service':
      return { column: 'owner_type', value: 'service' } as const
  }
}

/** Narrow storage for API keys. Every call that takes an id also takes the owner. */
export class KeyStore {
  constructor(readonly db: Db) {}

  async insert(row: KeyRow, db: Db = this.db): Promise<KeyRow> {
    await db.insertInto('api_keys').values(row).execute()
    return row
  }

  async findByHash(hash: string): Promise<KeyWithOwner | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .leftJoin('organizations', 'organizations.id', 'api_keys.org_id')
      .leftJoin('resellers', 'resellers.id', 'api_keys.reseller_id')
      .leftJoin('api_key_credits', 'api_key_credits.key_id', 'api_keys.id')
      .selectAll('api_keys')
      .select([
        'organizations.status as org_status',
        'resellers.status as reseller_status',
        'organizations.rate_limits as org_rate_limits',
        'api_key_credits.version as credits_version',
        'api_key_credits.refill_interval as credits_interval',
        'organizations.external_id as org_external_id',
      ])
      .where('api_keys.hash', '=', hash)
      .executeTakeFirst()
    if (!row) return undefined
    const { org_status, reseller_status, ...key } = row
    return { ...key, owner_status: (org_status ?? reseller_status ?? 'active') as 'active' | 'suspended' }
  }

  async get(owner: KeyOwner, id: string, db: Db = this.db): Promise<KeyRow | undefined> {
    const { column, value } = ownedBy(owner)
    return db.selectFrom('api_keys').selectAll().where('id', '=', id).where(column, '=', value).executeTakeFirst()
  }

  /** `get`, with the key that replaced it (`replaced_by`), for the reads that show a key's lineage. */
  async getWithLineage(owner: KeyOwner, id: string): Promise<KeyRowWithLineage | undefined> {
    const row = await this.get(owner, id)
    return row ? (await this.#withLineage(owner, [row]))[0] : undefined
  }

  async list(owner: KeyOwner, limit: number, cursor?: Cursor, filter: KeyListFilter = {}): Promise<KeyRowWithLineage[]> {
    const { column, value } = ownedBy(owner)
    let query = this.db.selectFrom('api_keys').selectAll().where(column, '=', value)
    if (cursor) {
      query = query.where(beforeCursor(cursor))
    }
    const at = now()
    const stopped = (col: 'revoked_at' | 'expires_at') => sql<boolean>`(${sql.ref(col)} is not null and ${sql.ref(col)} <= ${at})`
    const live = sql<boolean>`not ${stopped('revoked_at')} and not ${stopped('expires_at')}`
    if (filter.status === 'active') query = query.where(live)
    if (filter.status === 'revoked') query = query.where(stopped('revoked_at'))
    if (filter.status === 'expired') query = query.where(sql<boolean>`not ${stopped('revoked_at')} and ${stopped('expires_at')}`)
    if (filter.status === 'expiring') {
      const soon = new Date(Date.parse(at) + EXPIRING_WITHIN_MS).toISOString()
      query = query.where(live).where((eb) => eb.or([eb('revoked_at', '<=', soon), eb('expires_at', '<=', soon)]))
    }
    if (filter.search) {
      const pattern = likeEscaped(filter.search.toLowerCase())
      query = query.where(
        sql<boolean>`(lower(name) like ${`%${pattern}%`} escape '\\' or lower(prefix) like ${`${pattern}%`} escape '\\' or id = ${filter.search.toLowerCase()})`,
      )
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
    return this.#withLineage(owner, rows)
  }

  /**
   * Each key with the id of its successor: a roll sets `rolled_from` on the new key only. One
   * look-up per page, among the owner's keys.
   */
  async #withLineage(owner: KeyOwner, rows: KeyRow[]): Promise<KeyRowWithLineage[]> {
    if (rows.length === 0) return []
    const { column, value } = ownedBy(owner)
    const successors = await this.db
      .selectFrom('api_keys')
      .select(['id', 'rolled_from'])
      .where(column, '=', value)
      .where(
        'rolled_from',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('created_at')
      .execute()
    const next = new Map<string, string>()
    for (const s of successors) if (s.rolled_from && !next.has(s.rolled_from)) next.set(s.rolled_from, s.id)
    return rows.map((r) => ({ ...r, replaced_by: next.get(r.id) ?? null }))
  }

  /** Every key of an owner, newest first: the operator's listing of service keys. */
  async listAll(owner: KeyOwner): Promise<KeyRow[]> {
    const { column, value } = ownedBy(owner)
    return this.db.selectFrom('api_keys').selectAll().where(column, '=', value).orderBy('created_at', 'desc').orderBy('id', 'desc').execute()
  }

  /**
   * Sets `revoked_at` unless the key is already revoked by then; exactly one caller sees `changed`.
   * A later revoke of a key whose grace period is still running brings the revocation forward.
   * `reason`: why Portico revoked it on its own (a leak report); null when someone asked.
   */
  async revoke(owner: KeyOwner, id: string, at: string, db: Db = this.db, reason: 'leaked' | null = null): Promise<{ row: KeyRow; changed: boolean } | undefined> {
    const { column, value } = ownedBy(owner)
    const updated = await db
      .updateTable('api_keys')
      .set({ revoked_at: at, revoked_reason: reason })
      .where('id', '=', id)
      .where(column, '=', value)
      .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', at)]))
      .returningAll()
      .executeTakeFirst()
    if (updated) return { row: updated, changed: true }
    const row = await this.get(owner, id, db)
    return row ? { row, changed: false } : undefined
  }

  /**
   * Sets the end of a key being rolled, only if nothing has set one yet: of two rolls of one key,
   * exactly one gets the row (and mints its successor).
   */
  async scheduleRevocation(owner: KeyOwner, id: string, at: string, db: Db = this.db): Promise<KeyRow | undefined> {
    const { column, value } = ownedBy(owner)
    return db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).where(column, '=', value).where('revoked_at', 'is', null).returningAll().executeTakeFirst()
  }

  async update(
    owner: KeyOwner,
    id: string,
    patch: { name?: string; scopes?: string; rate_limits?: string | null; meta?: string | null; allowed_ips?: string | null },
    db: Db = this.db,
  ): Promise<KeyRow | undefined> {
    const { column, value } = ownedBy(owner)
    if (Object.keys(patch).length === 0) return this.get(owner, id, db)
    return db.updateTable('api_keys').set(patch).where('id', '=', id).where(column, '=', value).returningAll().executeTakeFirst()
  }

  /** One statement per key for a batch of last-use times gathered in memory. */
  async touchLastUsed(times: Map<string, string>): Promise<void> {
    if (times.size === 0) return
    await this.db.transaction().execute(async (trx) => {
      for (const [id, at] of times) {
        await trx
          .updateTable('api_keys')
          .set({ last_used_at: at })
          .where('id', '=', id)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
          .execute()
      }
    })
  }

  async countActive(owner: KeyOwner): Promise<number> {
    const { column, value } = ownedBy(owner)
    const t = now()
    const row = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(column, '=', value)
      .where((eb) => eb.or([eb('revoked_at', 'is', null), eb('revoked_at', '>', t)]))
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }
}
