import { defineOperation } from '../../core/operation.js'
import { MintedKeySchema, RollKeyBody, toKeyView } from '../../keys/key-schema.js'
import { RESELLER_TAG } from '../schemas.js'
import { ResellerKeyIdParams } from './get-reseller-key.js'
import { resellerKeyOwner } from './reseller-key-owner.js'
import '../../keys/services.js'

export const rollResellerKey = defineOperation({
  id: 'reseller.keys.roll',
  method: 'post',
  path: '/reseller/keys/{id}/roll',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: 'Roll one of your reseller keys',
  description:
    'As `POST /keys/{id}/roll`: a replacement shown once, and the old key revoked when the grace period ends (0, the default: now).',
  scope: 'admin',
  params: ResellerKeyIdParams,
  body: RollKeyBody,
  output: MintedKeySchema,
  secretFields: ['key'],
  errors: ['not_found', 'conflict', 'insufficient_scope'],
  handler: async (input, ctx) => {
    const { row, key } = await ctx.transaction((tx) =>
      ctx.services.keys.roll(tx, ctx.principal, resellerKeyOwner(ctx), input.id, input.grace_period_seconds),
    )
    return { ...toKeyView(row), key }
  },
})
