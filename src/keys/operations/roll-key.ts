import { defineOperation } from '../../core/operation.js'
import { z } from '../../core/schema.js'
import { MintedKeySchema, toKeyView } from '../key-schema.js'
import { KeyIdParams } from './get-key.js'
import { ownerOf } from './owner.js'
import '../services.js'

export const rollKey = defineOperation({
  id: 'keys.roll',
  method: 'post',
  path: '/keys/{id}/roll',
  tags: ['API keys'],
  summary: 'Roll an API key',
  description:
    'Mints a replacement (new id, same name, scopes and limits, `rolled_from` set) shown once, and revokes the old key ' +
    'when the grace period ends (0, the default: now).',
  scope: 'admin',
  params: KeyIdParams,
  body: z.object({
    grace_period_seconds: z.number().int().min(0).max(604_800).default(0).openapi({ description: '0 … 604800 (7 days).' }),
  }),
  output: MintedKeySchema,
  secretFields: ['key'],
  errors: ['not_found', 'conflict', 'insufficient_scope'],
  handler: async (input, ctx) => {
    const { row, key } = await ctx.transaction((tx) =>
      ctx.services.keys.roll(tx, ctx.principal, ownerOf(ctx.principal), input.id, input.grace_period_seconds),
    )
    return { ...toKeyView(row), key }
  },
})
