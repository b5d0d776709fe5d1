import { defineOperation } from '../../core/operation.js'
import { KeySchema, toKeyView } from '../../keys/key-schema.js'
import { RESELLER_TAG } from '../schemas.js'
import { ResellerKeyIdParams } from './get-reseller-key.js'
import { resellerKeyOwner } from './reseller-key-owner.js'
import '../../keys/services.js'

export const revokeResellerKey = defineOperation({
  id: 'reseller.keys.revoke',
  method: 'delete',
  path: '/reseller/keys/{id}',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: 'Revoke one of your reseller keys',
  description: 'Immediate and irreversible: the next request with the key answers 403 `api_key_revoked`.',
  scope: 'admin',
  destructive: true,
  params: ResellerKeyIdParams,
  output: KeySchema,
  errors: ['not_found'],
  handler: async (input, ctx) => {
    const row = await ctx.transaction((tx) => ctx.services.keys.revoke(tx, resellerKeyOwner(ctx), input.id))
    return toKeyView(row)
  },
})
