import { defineOperation } from '../../core/operation.js'
import { z, Timestamp, isoTimestamp } from '../../core/schema.js'
import { scopes } from '../../core/scopes.js'
import { CreditsSchema } from '../../keys/key-schema.js'
import '../services.js'

export const health = defineOperation({
  id: 'platform.health',
  method: 'get',
  path: '/health',
  tags: ['Platform'],
  summary: 'Check an API key',
  description: '"Does my key work?" Answers 200 with the key\'s identity for any valid key: organisation, reseller or service.',
  scope: null,
  audience: 'any',
  output: z
    .object({
      status: z.literal('ok'),
      key: z.object({
        id: z.uuid(),
        prefix: z.string(),
        name: z.string(),
        kind: z.enum(['organization', 'reseller', 'service']),
        org_id: z.uuid().nullable(),
        reseller_id: z.uuid().nullable(),
        scopes: z.array(z.enum(scopes)),
        expires_at: Timestamp.nullable(),
        meta: z.record(z.string(), z.unknown()).openapi({ description: "The key's metadata; `{}` when it has none." }),
        credits: CreditsSchema.nullable().openapi({ description: 'The balance after this request (which spent its cost); null: no cap.' }),
      }),
    })
    .openapi('Health'),
  handler: async (_input, ctx) => {
    const p = ctx.principal
    if (p.kind === 'user') throw new Error('health is for keys')
    return {
      status: 'ok' as const,
      key: {
        id: p.keyId,
        prefix: p.keyPrefix,
        name: p.keyName,
        kind: p.kind === 'org_key' ? ('organization' as const) : p.kind === 'reseller_key' ? ('reseller' as const) : ('service' as const),
        org_id: p.kind === 'org_key' ? p.orgId : null,
        reseller_id: p.kind === 'reseller_key' ? p.resellerId : null,
        scopes: [...p.scopes],
        expires_at: isoTimestamp(p.keyExpiresAt),
        meta: { ...p.keyMeta },
        // Only a key with a balance reads it: /health on a cached key without one needs no database.
        credits: p.keyHasCredits ? await ctx.services.keys.balance(p.keyId) : null,
      },
    }
  },
})
