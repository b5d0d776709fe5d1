import { defineOperation } from '../../core/operation.js'
import { z } from '../../core/schema.js'
import { AllowedIpsInput, CreditsInput, KeySchema, MetaSchema, RateLimitOverrideSchema, ScopeSchema } from '../key-schema.js'
import { KeyIdParams } from './get-key.js'
import { ownerOf } from './owner.js'
import '../services.js'

export const updateKey = defineOperation({
  id: 'keys.update',
  method: 'patch',
  path: '/keys/{id}',
  tags: ['API keys'],
  summary: 'Update an API key',
  description:
    'Renames a key, changes its scopes (never beyond your own) or sets per-key rate limits by class. ' +
    '`rate_limits` is merged: a class set to `null` returns to the default. A key may only be limited more tightly than its ceiling ' +
    "(the organisation's limit set by its reseller, else the deployment's default), in requests per window and per second alike; " +
    'anything above is 403 `insufficient_scope`: only the reseller or the operator can raise limits. ' +
    '`meta` replaces the metadata, `credits` sets the balance (and refill) from now on, `allowed_ips` replaces the allow-list; ' +
    'every instance enforces a new allow-list or balance within a second.',
  scope: 'admin',
  params: KeyIdParams,
  body: z.object({
    name: z.string().trim().min(1).max(100).optional(),
    scopes: z.array(ScopeSchema).min(1).max(4).optional(),
    rate_limits: z.record(z.string(), RateLimitOverrideSchema.nullable()).optional(),
    meta: MetaSchema.nullable().optional().openapi({ description: 'Replaces the whole object; `null` or `{}` clears it.' }),
    credits: CreditsInput.nullable().optional().openapi({ description: 'Sets the balance (and refill) from now on; `null` removes the cap.' }),
    allowed_ips: AllowedIpsInput.nullable().optional(),
  }),
  output: KeySchema,
  errors: ['not_found', 'insufficient_scope'],
  handler: async (input, ctx) => {
    if (input.rate_limits) ctx.services.keys.assertLimitClasses(Object.keys(input.rate_limits))
    const row = await ctx.transaction((tx) =>
      ctx.services.keys.update(tx, ctx.principal, ownerOf(ctx.principal), input.id, {
        name: input.name,
        scopes: input.scopes,
        rateLimits: input.rate_limits,
        meta: input.meta,
        credits: input.credits,
        allowedIps: input.allowed_ips,
      }),
    )
    return ctx.services.keys.view(row)
  },
})
