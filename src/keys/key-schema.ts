import { z, Timestamp, Uuid, isoTimestamp } from '../core/schema.js'
import { scopes } from '../core/scopes.js'
import { parseRateLimits, parseScopes, type KeyRow } from './key-store.js'
import { remainingAt, type CreditsRow } from './credits/credit-store.js'
import { MAX_ALLOWED_IPS, parseCidr } from './ip-allow-list.js'

export const ScopeSchema = z.enum(scopes).openapi('Scope')

/** Strict, as every object a client sends: a misspelt field inside an override is refused, not ignored. */
export const RateLimitOverrideSchema = z
  .strictObject({
    limit: z.number().int().min(1).max(1_000_000),
    window_seconds: z.number().int().min(1).max(86_400),
  })
  .openapi('RateLimitOverride')

/** An organisation's class may also be `shared`: one pool for all its keys. */
export const OrgRateLimitSchema = z
  .strictObject({
    limit: z.number().int().min(1).max(1_000_000),
    window_seconds: z.number().int().min(1).max(86_400),
    shared: z.boolean().optional().openapi({
      description: "`true`: one pool counted across all the organisation's keys (minting more keys buys no more quota), checked together with each key's own limit.",
    }),
  })
  .openapi('OrganizationRateLimit')

export const META_MAX_BYTES = 4096

export const MetaSchema = z
  .record(z.string(), z.unknown())
  .superRefine((v, ctx) => {
    if (Buffer.byteLength(JSON.stringify(v)) > META_MAX_BYTES) ctx.addIssue({ code: 'custom', message: `is over ${META_MAX_BYTES} bytes as JSON` })
  })
  .openapi('KeyMeta', {
    description: 'Your own JSON object for this key (plan, customer id…), at most 4 KB as UTF-8 JSON; never interpreted by Portico.',
    example: { plan: 'pro', customer_id: 'cus_123' },
  })

export const refillIntervals = ['daily', 'monthly'] as const
const MAX_CREDITS = 1_000_000_000

export const CreditsInput = z
  .strictObject({
    remaining: z.number().int().min(0).max(MAX_CREDITS).openapi({ description: 'The balance, from now on.' }),
    refill: z
      .strictObject({
        amount: z.number().int().min(1).max(MAX_CREDITS),
        interval: z.enum(refillIntervals).openapi({ description: '`daily`: at 00:00 UTC; `monthly`: on the 1st at 00:00 UTC.' }),
      })
      .optional()
      .openapi({ description: 'Sets the balance back to `amount` at every refill.' }),
  })
  .openapi('CreditsInput', {
    description:
      "A usage cap: every admitted request costs 1 credit, or its operation's `cost`; at 0 the key answers 429 `usage_exceeded`.",
  })

export const CreditsSchema = z
  .object({
    remaining: z.number().int(),
    refill: z.object({ amount: z.number().int(), interval: z.enum(refillIntervals) }).nullable(),
  })
  .openapi('Credits')

export const AllowedIpsInput = z
  .array(z.string().max(64))
  .max(MAX_ALLOWED_IPS)
  .superRefine((list, ctx) => {
    list.forEach((entry, i) => {
      if (!parseCidr(entry)) ctx.addIssue({ code: 'custom', path: [i], message: 'is not an IPv4 or IPv6 address or CIDR block' })
    })
  })
  .openapi({
    description: 'IPv4/IPv6 addresses or CIDR blocks the key may be used from (others: 403 `ip_not_allowed`); empty or null: any address.',
    example: ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7'],
  })

export const expiryPresets = ['never', '7d', '30d', '90d', '1y'] as const
const presetDays: Record<(typeof expiryPresets)[number], number | null> = { never: null, '7d': 7, '30d': 30, '90d': 90, '1y': 365 }

export const KeySchema = z
  .object({
    id: Uuid,
    object: z.literal('api_key'),
    prefix: z.string().openapi({ example: 'ptk_4fT9kQ2x', description: 'Display prefix: enough to recognise a key, never enough to use it.' }),
    name: z.string(),
    scopes: z.array(ScopeSchema),
    org_id: Uuid.nullable(),
    reseller_id: Uuid.nullable().optional(),
    status: z.enum(['active', 'expired', 'revoked']),
    created_at: Timestamp,
    created_by: z.object({ type: z.string(), id: z.string().nullable() }).nullable(),
    last_used_at: Timestamp.nullable(),
    expires_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable().openapi({ description: 'When the key stops working; in the future during a roll grace period.' }),
    rolled_from: Uuid.nullable().openapi({ description: 'The key this one replaced in a roll.' }),
    replaced_by: Uuid.nullable()
      .optional()
      .openapi({ description: 'The key that replaced this one in a roll (on `GET /keys` and `GET /keys/{id}`).' }),
    rate_limits: z.record(z.string(), RateLimitOverrideSchema),
    imported: z.boolean().openapi({ description: 'Imported from another system (`POST /keys/import`): it keeps its original plaintext.' }),
    revoked_reason: z
      .enum(['leaked'])
      .nullable()
      .openapi({ description: '`leaked`: revoked by Portico on a secret-scanning leak report; null otherwise.' }),
    meta: MetaSchema,
    allowed_ips: z.array(z.string()).nullable().openapi({ description: 'Addresses and CIDR blocks the key may be used from; null: any.' }),
    credits: CreditsSchema.nullable()
      .optional()
      .openapi({ description: 'The usage cap; null: none. Absent from event payloads.' }),
  })
  .openapi('ApiKey')

/** The body of a roll, for org and reseller keys alike. */
export const RollKeyBody = z.object({
  grace_period_seconds: z.number().int().min(0).max(604_800).default(0).openapi({ description: '0 … 604800 (7 days).' }),
})

export const MintedKeySchema = KeySchema.extend({
  key: z
    .string()
    .nullable()
    .openapi({ description: 'The full key. Shown in this response only; null in an idempotent replay.' }),
}).openapi('MintedApiKey')

export type KeyView = z.infer<typeof KeySchema>

export function keyStatus(row: KeyRow, at = new Date().toISOString()): KeyView['status'] {
  if (row.revoked_at && row.revoked_at <= at) return 'revoked'
  if (row.expires_at && row.expires_at <= at) return 'expired'
  return 'active'
}

export function parseMeta(value: string | null): Record<string, unknown> {
  return value ? (JSON.parse(value) as Record<string, unknown>) : {}
}

export function creditsView(credits: CreditsRow, at = Date.now(), held = 0): z.infer<typeof CreditsSchema> {
  return {
    remaining: remainingAt(credits, at) + held,
    refill: credits.refill_amount !== null && credits.refill_interval !== null ? { amount: Number(credits.refill_amount), interval: credits.refill_interval } : null,
  }
}

/** `credits`: the key's balance (null: no cap); left out where it was not read (event payloads). */
/** `replaced_by` is known to the reads that look it up (`KeyStore.list`, `getWithLineage`). */
export function toKeyView(row: KeyRow & { replaced_by?: string | null }, credits?: z.infer<typeof CreditsSchema> | null): KeyView {
  return {
    id: row.id,
    object: 'api_key',
    prefix: row.prefix,
    name: row.name,
    scopes: parseScopes(row),
    org_id: row.org_id,
    ...(row.owner_type === 'reseller' ? { reseller_id: row.reseller_id } : {}),
    status: keyStatus(row),
    created_at: isoTimestamp(row.created_at)!,
    created_by: row.created_by_type ? { type: row.created_by_type, id: row.created_by_id } : null,
    last_used_at: isoTimestamp(row.last_used_at),
    expires_at: isoTimestamp(row.expires_at),
    revoked_at: isoTimestamp(row.revoked_at),
    rolled_from: row.rolled_from,
    ...(row.replaced_by !== undefined ? { replaced_by: row.replaced_by } : {}),
    rate_limits: parseRateLimits(row.rate_limits),
    imported: Boolean(row.imported_at),
    revoked_reason: row.revoked_reason === 'leaked' ? 'leaked' : null,
    meta: parseMeta(row.meta),
    allowed_ips: row.allowed_ips ? (JSON.parse(row.allowed_ips) as string[]) : null,
    ...(credits !== undefined ? { credits } : {}),
  }
}

/** Mint input shared by `POST /keys`, reseller minting, the dashboard and the CLI. */
export const MintKeyBody = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: 'Back-office sync' }),
    scopes: z.array(ScopeSchema).min(1).max(4).optional().openapi({ description: 'Default `["read"]`; must be a subset of the caller\'s scopes.' }),
    expires_in: z.enum(expiryPresets).optional().openapi({ description: 'Expiry preset; or give `expires_at`.' }),
    expires_at: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Exact expiry, in the future.' }),
    meta: MetaSchema.optional(),
    credits: CreditsInput.optional(),
    allowed_ips: AllowedIpsInput.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.expires_in !== undefined && v.expires_at !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['expires_at'], message: 'give expires_in or expires_at, not both' })
    }
    if (v.expires_at !== undefined && Date.parse(v.expires_at) <= Date.now()) {
      ctx.addIssue({ code: 'custom', path: ['expires_at'], message: 'must be in the future' })
    }
    if (v.scopes && new Set(v.scopes).size !== v.scopes.length) {
      ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'lists a scope twice' })
    }
  })

export function expiryFrom(input: { expires_in?: string | undefined; expires_at?: string | undefined }, from = Date.now()): string | null {
  if (input.expires_at) return new Date(input.expires_at).toISOString()
  const days = presetDays[(input.expires_in ?? 'never') as keyof typeof presetDays]
  return days === null || days === undefined ? null : new Date(from + days * 86_400_000).toISOString()
}
