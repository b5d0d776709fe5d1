import { randomUUID } from 'node:crypto'
import type { TransactionScope } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import type { Principal } from '../core/principal.js'
import { normalizeScopes, type Scope } from '../core/scopes.js'
import { coreDb, now, type CoreDb } from '../storage/db.js'
import { generateKey } from './key-format.js'
import { KeyStore, parseRateLimits, parseScopes, type KeyOwner, type KeyRow, type RateLimitOverride } from './key-store.js'
import { isoTimestamp } from '../core/schema.js'
import { toPage } from '../core/pagination.js'
import { creditsView, keyStatus, toKeyView, type CreditsSchema, type KeyView } from './key-schema.js'
import type { z } from '../core/schema.js'
import { CreditStore, type CreditsRow, type CreditsSetting } from './credits/credit-store.js'

export interface KeyInvalidation {
  /**
   * Drops a key from every instance's cache once `tx` commits (announced inside it where the
   * channel allows), so revocation is seen on the very next request.
   */
  invalidateKey(tx: TransactionScope, keyId: string): Promise<void>
}

/** The prefix of each kind of key (PORTICO_KEY_PREFIX, PORTICO_RESELLER_KEY_PREFIX, PORTICO_SERVICE_KEY_PREFIX). */
export interface KeyPrefixes {
  org: string
  reseller: string
  service: string
}

export interface MintRequest {
  name: string
  scopes: Scope[]
  expiresAt: string | null
  rateLimits?: Record<string, RateLimitOverride> | null
  rolledFrom?: string | null
  meta?: Record<string, unknown> | undefined
  credits?: CreditsSetting | undefined
  allowedIps?: string[] | undefined
}

export interface KeyPatch {
  name?: string | undefined
  scopes?: Scope[] | undefined
  rateLimits?: Record<string, RateLimitOverride | null> | undefined
  /** Replaces the object; null clears it. */
  meta?: Record<string, unknown> | null | undefined
  /** Sets the balance and refill from now on; null removes the cap. */
  credits?: CreditsSetting | null | undefined
  /** Replaces the list; null or empty: any address. */
  allowedIps?: string[] | null | undefined
}

const metaText = (meta: Record<string, unknown> | null | undefined): string | null => (meta && Object.keys(meta).length ? JSON.stringify(meta) : null)
const ipsText = (ips: string[] | null | undefined): string | null => (ips && ips.length ? JSON.stringify([...new Set(ips)]) : null)

/** Refuses scopes the caller does not hold itself; operators (no principal) may grant any. */
export function assertGrantable(caller: Principal | null, wanted: readonly Scope[]): void {
  if (!caller) return
  const missing = wanted.filter((s) => !caller.scopes.includes(s))
  if (missing.length > 0) {
    throw new ApiError('insufficient_scope', `You cannot grant scope${missing.length > 1 ? 's' : ''} you do not hold: ${missing.join(', ')}`)
  }
}

function creator(principal: Principal | null): { created_by_type: string; created_by_id: string | null } {
  if (!principal) return { created_by_type: 'operator', created_by_id: null }
  if (principal.kind === 'user') return { created_by_type: 'user', created_by_id: principal.userId }
  return { created_by_type: principal.kind, created_by_id: principal.keyId }
}

/** Key lifecycle rules shared by every doorway: REST, MCP, the dashboard, resellers and the CLI. */
export class KeyService {
  readonly credits: CreditStore

  constructor(
    readonly store: KeyStore,
    private readonly prefixes: KeyPrefixes,
    private readonly invalidation: KeyInvalidation,
    private readonly limitClasses: () => string[],
    /** The deployer's limit for a class (PORTICO_RATE_LIMITS, else the module's or Portico's default). */
    private readonly defaultLimit: (name: string) => { limit: number; windowSeconds: number } | undefined = () => undefined,
    /** Credits this process holds for a key and has not spent (see MemoryCreditMeter): part of its balance. */
    private readonly heldCredits: (keyId: string, version: number, period: string) => number = () => 0,
  ) {
    this.credits = new CreditStore(store.db)
  }

  #creditsView(row: CreditsRow | undefined, at: number) {
    return row ? creditsView(row, at, this.heldCredits(row.key_id, row.version, row.period)) : null
  }

  /**
   * A key's balance now (null: no cap), counting what this process holds. For the raw figures
   * (`remaining`, and `base`: the last refill or the amount first set), read `credits.get(keyId)`.
   */
  async balance(keyId: string): Promise<z.infer<typeof CreditsSchema> | null> {
    return this.#creditsView(await this.credits.get(keyId), Date.now())
  }

  /** The key as the API answers it, with its credit balance. */
  async view(row: KeyRow, db?: CoreDb): Promise<KeyView> {
    return toKeyView(row, this.#creditsView(await this.credits.get(row.id, db), Date.now()))
  }

  /** A page of keys (`toPage`'s shape) with their balances, read in one query. */
  async page(rows: KeyRow[], limit: number): Promise<{ data: KeyView[]; next_cursor: string | null }> {
    const page = toPage(rows, limit, (row) => row)
    return { data: await this.views(page.data), next_cursor: page.next_cursor }
  }

  async views(rows: KeyRow[]): Promise<KeyView[]> {
    const credits = await this.credits.getMany(rows.map((r) => r.id))
    const at = Date.now()
    return rows.map((row) => toKeyView(row, this.#creditsView(credits.get(row.id), at)))
  }

  /**
   * An organisation may only lower its keys' limits: each class at most its ceiling, the limit
   * its reseller set for the organisation, else the deployer's. "At most" both in count and in
   * rate, so a shorter window cannot buy more requests per second. Resellers and the operator
   * (no principal) set what they like.
   */
  async #assertWithinCeilings(db: CoreDb, caller: Principal | null, owner: KeyOwner, limits: Record<string, RateLimitOverride | null>): Promise<void> {
    if (!caller || caller.kind === 'reseller_key' || owner.type !== 'org') return
    const org = await db.selectFrom('organizations').select('rate_limits').where('id', '=', owner.orgId).executeTakeFirst()
    const orgLimits = parseRateLimits(org?.rate_limits ?? null)
    for (const [name, wanted] of Object.entries(limits)) {
      if (wanted === null) continue
      const set = orgLimits[name]
      const ceiling = set ? { limit: set.limit, windowSeconds: set.window_seconds } : this.defaultLimit(name)
      if (!ceiling) continue
      if (wanted.limit <= ceiling.limit && wanted.limit * ceiling.windowSeconds <= ceiling.limit * wanted.window_seconds) continue
      const whose = set ? "the organisation's limit, set by its reseller" : "the deployment's default"
      throw new ApiError(
        'insufficient_scope',
        `rate_limits.${name} may not exceed ${ceiling.limit} requests per ${ceiling.windowSeconds} s (${whose}); only the reseller or the operator can raise it`,
      )
    }
  }

  /** Overrides may only name classes the deployer declared. */
  assertLimitClasses(names: string[]): void {
    const known = this.limitClasses()
    const fields: Record<string, string> = {}
    for (const name of names) if (!known.includes(name)) fields[`rate_limits.${name}`] = `is not a rate-limit class (${known.join(', ')})`
    if (Object.keys(fields).length) throw new ApiError('validation_error', Object.entries(fields)[0]!.join(' '), { fields })
  }

  async mint(tx: TransactionScope, caller: Principal | null, owner: KeyOwner, request: MintRequest): Promise<{ row: KeyRow; key: string }> {
    const scopes = normalizeScopes(request.scopes)
    assertGrantable(caller, scopes)
    const minted = generateKey(this.prefixes[owner.type])
    const row: KeyRow = {
      id: randomUUID(),
      owner_type: owner.type,
      org_id: owner.type === 'org' ? owner.orgId : null,
      reseller_id: owner.type === 'reseller' ? owner.resellerId : null,
      name: request.name,
      prefix: minted.displayPrefix,
      hash: minted.hash,
      scopes: JSON.stringify(scopes),
      rate_limits: request.rateLimits && Object.keys(request.rateLimits).length ? JSON.stringify(request.rateLimits) : null,
      created_at: now(),
      ...creator(caller),
      last_used_at: null,
      expires_at: request.expiresAt,
      revoked_at: null,
      rolled_from: request.rolledFrom ?? null,
      meta: metaText(request.meta),
      allowed_ips: ipsText(request.allowedIps),
    }
    await this.store.insert(row, coreDb(tx.db))
    if (request.credits) await this.credits.set(row.id, request.credits, Date.now(), coreDb(tx.db))
    const view = toKeyView(row)
    await tx.audit({
      action: 'api_key.created',
      targetType: 'api_key',
      targetId: row.id,
      details: { name: row.name, prefix: row.prefix, scopes, ...(request.credits ? { credits: request.credits } : {}), ...(row.allowed_ips ? { allowed_ips: JSON.parse(row.allowed_ips) } : {}) },
    })
    if (owner.type === 'org') await tx.emit('api_key.created', view)
    return { row, key: minted.key }
  }

  async revoke(tx: TransactionScope, owner: KeyOwner, id: string, reason: 'leaked' | null = null): Promise<KeyRow> {
    const result = await this.store.revoke(owner, id, now(), coreDb(tx.db), reason)
    if (!result) throw new ApiError('not_found', 'API key not found')
    await this.invalidation.invalidateKey(tx, id)
    if (result.changed) {
      await tx.audit({ action: 'api_key.revoked', targetType: 'api_key', targetId: id, details: { prefix: result.row.prefix, ...(reason ? { reason } : {}) } })
      if (owner.type === 'org') await tx.emit('api_key.revoked', toKeyView(result.row))
    }
    return result.row
  }

  async roll(tx: TransactionScope, caller: Principal | null, owner: KeyOwner, id: string, graceSeconds: number): Promise<{ row: KeyRow; key: string }> {
    const old = await this.store.get(owner, id, coreDb(tx.db))
    if (!old) throw new ApiError('not_found', 'API key not found')
    if (keyStatus(old) !== 'active') throw new ApiError('conflict', `Only an active key can be rolled; this one is ${keyStatus(old)}`)
    const endsAt = new Date(Date.now() + graceSeconds * 1000).toISOString()
    // One live successor at most: a key in its grace period was rolled already.
    if (old.revoked_at !== null) {
      throw new ApiError('conflict', `This key was already rolled and stops working at ${isoTimestamp(old.revoked_at)}; roll its replacement instead`)
    }
    if (!(await this.store.scheduleRevocation(owner, id, endsAt, coreDb(tx.db)))) {
      throw new ApiError('conflict', 'This key was rolled by another request just now; roll its replacement instead')
    }
    const minted = await this.mint(tx, caller, owner, {
      name: old.name,
      scopes: parseScopes(old),
      expiresAt: old.expires_at,
      rateLimits: old.rate_limits ? JSON.parse(old.rate_limits) : null,
      rolledFrom: old.id,
      meta: old.meta ? (JSON.parse(old.meta) as Record<string, unknown>) : undefined,
      allowedIps: old.allowed_ips ? (JSON.parse(old.allowed_ips) as string[]) : undefined,
    })
    await this.#passCredits(tx, old.id, minted.row.id)
    await this.invalidation.invalidateKey(tx, id)
    await tx.audit({
      action: 'api_key.rolled',
      targetType: 'api_key',
      targetId: id,
      details: { new_key_id: minted.row.id, grace_period_seconds: graceSeconds, old_key_revoked_at: endsAt },
    })
    if (owner.type === 'org') {
      await tx.emit('api_key.rolled', { old_key: toKeyView({ ...old, revoked_at: endsAt }), new_key: toKeyView(minted.row) })
    }
    return minted
  }

  /**
   * A rolled key's balance passes to its replacement (the same remaining credits, refill and
   * period); the old key keeps an empty balance without refill for its grace period, so the two
   * can never spend more than the one did.
   */
  async #passCredits(tx: TransactionScope, fromId: string, toId: string): Promise<void> {
    const db = coreDb(tx.db)
    const old = await this.credits.get(fromId, db)
    if (!old) return
    await db
      .insertInto('api_key_credits')
      .values({ ...old, key_id: toId, version: 1, taken: 0 })
      .execute()
    await this.credits.set(fromId, { remaining: 0 }, Date.now(), db)
  }

  async update(tx: TransactionScope, caller: Principal | null, owner: KeyOwner, id: string, patch: KeyPatch): Promise<KeyRow> {
    const current = await this.store.get(owner, id, coreDb(tx.db))
    if (!current) throw new ApiError('not_found', 'API key not found')
    const change: { name?: string; scopes?: string; rate_limits?: string | null; meta?: string | null; allowed_ips?: string | null } = {}
    if (patch.meta !== undefined) change.meta = metaText(patch.meta)
    if (patch.allowedIps !== undefined) change.allowed_ips = ipsText(patch.allowedIps)
    if (patch.name !== undefined) change.name = patch.name
    if (patch.scopes !== undefined) {
      assertGrantable(caller, patch.scopes)
      change.scopes = JSON.stringify(normalizeScopes(patch.scopes))
    }
    if (patch.rateLimits !== undefined) {
      await this.#assertWithinCeilings(coreDb(tx.db), caller, owner, patch.rateLimits)
      // Merge-patch: a class set to null drops its override.
      const merged = parseRateLimits(current.rate_limits)
      for (const [name, value] of Object.entries(patch.rateLimits)) {
        if (value === null) delete merged[name]
        else merged[name] = value
      }
      change.rate_limits = Object.keys(merged).length ? JSON.stringify(merged) : null
    }
    const row = await this.store.update(owner, id, change, coreDb(tx.db))
    if (!row) throw new ApiError('not_found', 'API key not found')
    if (patch.credits !== undefined) await this.credits.set(id, patch.credits, Date.now(), coreDb(tx.db))
    // The cached row carries the allow-list and the balance's version: every instance re-reads it.
    await this.invalidation.invalidateKey(tx, id)
    const changed = [...Object.keys(change), ...(patch.credits !== undefined ? ['credits'] : [])]
    const details: Record<string, unknown> = { changed }
    if (patch.credits !== undefined) details.credits = patch.credits
    if (patch.allowedIps !== undefined) details.allowed_ips = change.allowed_ips ? JSON.parse(change.allowed_ips) : null
    await tx.audit({ action: 'api_key.updated', targetType: 'api_key', targetId: id, details })
    return row
  }
}
