import { randomUUID } from 'node:crypto'
import type { TransactionScope } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import type { Principal } from '../core/principal.js'
import { z } from '../core/schema.js'
import { normalizeScopes, type Scope } from '../core/scopes.js'
import { coreDb, now } from '../storage/db.js'
import { assertGrantable } from './key-service.js'
import { KeySchema, MetaSchema, ScopeSchema, toKeyView } from './key-schema.js'
import type { KeyOwner, KeyRow } from './key-store.js'

export const IMPORT_BATCH_MAX = 1000
/** Display prefixes of imported keys: what tokens are matched against before a look-up. */
export const IMPORTED_PREFIX = /^[A-Za-z0-9_.-]{4,32}$/

const entryShape = {
  hash: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be the SHA-256 of the key, 64 hex digits')
    .openapi({ description: 'SHA-256 of the whole key (UTF-8), in hex.', example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' }),
  prefix: z
    .string()
    .regex(IMPORTED_PREFIX, 'must be 4-32 of A-Z a-z 0-9 _ . -')
    .openapi({
      description:
        "The first characters of the key's plaintext (4-32 of `A-Za-z0-9_.-`), shown in lists; tokens that start with it are looked up by hash although they lack Portico's format.",
      example: 'sk_live_',
    }),
  name: z.string().trim().min(1).max(100),
  scopes: z.array(ScopeSchema).min(1).max(4).optional().openapi({ description: 'Default `["read"]`; must be a subset of the caller\'s scopes.' }),
  expires_at: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Exact expiry, in the future.' }),
  meta: MetaSchema.optional(),
}

type EntryFields = { scopes?: string[] | undefined; expires_at?: string | undefined }

function checkEntry(v: EntryFields, ctx: z.RefinementCtx): void {
  if (v.expires_at !== undefined && Date.parse(v.expires_at) <= Date.now()) ctx.addIssue({ code: 'custom', path: ['expires_at'], message: 'must be in the future' })
  if (v.scopes && new Set(v.scopes).size !== v.scopes.length) ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'lists a scope twice' })
}

/** One key from another system: its SHA-256, never its plaintext. */
export const ImportKeyEntry = z.strictObject(entryShape).superRefine(checkEntry).openapi('ImportedKeyInput')

export type ImportEntry = z.infer<typeof ImportKeyEntry>

const singleFields = ['hash', 'prefix', 'name'] as const

/**
 * One key (its fields at the top level) or a batch (`keys`, up to 1,000). One object rather than
 * a union, so every field is documented and unknown fields are still refused.
 */
export const ImportKeysBody = z
  .object({
    hash: entryShape.hash.optional().openapi({ description: 'One key: SHA-256 of the whole key (UTF-8), in hex. Required unless `keys` is given.' }),
    prefix: entryShape.prefix.optional().openapi({ description: "One key: the first characters of its plaintext (4-32 of `A-Za-z0-9_.-`). Required unless `keys` is given." }),
    name: entryShape.name.optional().openapi({ description: 'One key: its name. Required unless `keys` is given.' }),
    scopes: entryShape.scopes,
    expires_at: entryShape.expires_at,
    meta: entryShape.meta,
    keys: z
      .array(ImportKeyEntry)
      .min(1)
      .max(IMPORT_BATCH_MAX)
      .optional()
      .openapi({ description: `A batch of 1 … ${IMPORT_BATCH_MAX} keys, imported together or not at all.` }),
  })
  .superRefine((v, ctx) => {
    if (v.keys !== undefined) {
      for (const f of [...singleFields, 'scopes', 'expires_at', 'meta'] as const) {
        if (v[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: 'give one key or `keys`, not both' })
      }
      return
    }
    for (const f of singleFields) if (v[f] === undefined) ctx.addIssue({ code: 'custom', path: [f], message: 'is required' })
    checkEntry(v, ctx)
  })

export const ImportKeysOutput = z.union([KeySchema, z.object({ data: z.array(KeySchema) })])

/** The entries of a validated body, and whether it was a batch. */
export function importEntries(input: z.infer<typeof ImportKeysBody>): { entries: ImportEntry[]; batch: boolean } {
  if (input.keys) return { entries: input.keys, batch: true }
  return { entries: [{ hash: input.hash!, prefix: input.prefix!, name: input.name!, scopes: input.scopes, expires_at: input.expires_at, meta: input.meta }], batch: false }
}

export interface ImportedPrefixAnnouncer {
  announce(tx: TransactionScope, prefixes: string[]): Promise<void>
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

function creator(principal: Principal | null): { created_by_type: string; created_by_id: string | null } {
  if (!principal) return { created_by_type: 'operator', created_by_id: null }
  if (principal.kind === 'user') return { created_by_type: 'user', created_by_id: principal.userId }
  return { created_by_type: principal.kind, created_by_id: principal.keyId }
}

/**
 * Keys minted elsewhere, stored by the hash the other system gives: the plaintext never reaches
 * Portico. A batch is one transaction: any invalid or duplicate entry fails all of it.
 */
export class KeyImporter {
  constructor(
    private readonly prefixes: ImportedPrefixAnnouncer,
    /** Prefixes of Portico's own keys: an imported prefix starting with one needs no remembering, such keys pass the format check. */
    private readonly ownPrefixes: () => string[],
  ) {}

  async import(tx: TransactionScope, caller: Principal | null, owner: KeyOwner, entries: ImportEntry[]): Promise<KeyRow[]> {
    const db = coreDb(tx.db)
    const hashes = entries.map((e) => e.hash.toLowerCase())
    const seen = new Map<string, number>()
    hashes.forEach((h, i) => {
      const first = seen.get(h)
      if (first !== undefined) throw new ApiError('conflict', `keys[${i}] has the same hash as keys[${first}]`, { fields: { [`keys[${i}].hash`]: 'is a duplicate' } })
      seen.set(h, i)
    })
    for (const e of entries) assertGrantable(caller, e.scopes ?? ['read'])
    for (let i = 0; i < hashes.length; i += 500) {
      const taken = await db.selectFrom('api_keys').select('hash').where('hash', 'in', hashes.slice(i, i + 500)).executeTakeFirst()
      if (taken) {
        const at = seen.get(taken.hash)!
        const field = entries.length > 1 || at > 0 ? `keys[${at}].hash` : 'hash'
        throw new ApiError('conflict', `${field}: a key with this hash exists already`, { fields: { [field]: 'exists already' } })
      }
    }
    const at = now()
    const rows: KeyRow[] = entries.map((e, i) => ({
      id: randomUUID(),
      owner_type: owner.type,
      org_id: owner.type === 'org' ? owner.orgId : null,
      reseller_id: owner.type === 'reseller' ? owner.resellerId : null,
      name: e.name,
      prefix: e.prefix,
      hash: hashes[i]!,
      scopes: JSON.stringify(normalizeScopes((e.scopes ?? ['read']) as Scope[])),
      rate_limits: null,
      created_at: at,
      ...creator(caller),
      last_used_at: null,
      expires_at: e.expires_at ? new Date(e.expires_at).toISOString() : null,
      revoked_at: null,
      rolled_from: null,
      imported_at: at,
      revoked_reason: null,
      meta: e.meta && Object.keys(e.meta).length ? JSON.stringify(e.meta) : null,
      allowed_ips: null,
    }))
    try {
      for (let i = 0; i < rows.length; i += 100) await db.insertInto('api_keys').values(rows.slice(i, i + 100)).execute()
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiError('conflict', 'A key with one of these hashes was imported just now by another request')
      throw error
    }
    const own = this.ownPrefixes().map((p) => `${p}_`)
    const remembered = [...new Set(rows.map((r) => r.prefix))].filter((p) => !own.some((o) => p.startsWith(o)))
    if (remembered.length) {
      await db
        .insertInto('imported_key_prefixes')
        .values(remembered.map((prefix) => ({ prefix, created_at: at })))
        .onConflict((oc) => oc.column('prefix').doNothing())
        .execute()
      await this.prefixes.announce(tx, remembered)
    }
    await tx.audit({
      action: 'api_key.imported',
      targetType: 'api_key',
      ...(rows.length === 1 ? { targetId: rows[0]!.id } : {}),
      details: { count: rows.length, keys: rows.slice(0, 20).map((r) => ({ id: r.id, prefix: r.prefix, name: r.name })) },
    })
    if (owner.type === 'org') for (const row of rows) await tx.emit('api_key.created', toKeyView(row))
    return rows
  }
}
