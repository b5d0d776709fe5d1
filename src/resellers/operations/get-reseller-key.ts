import { notFound } from '../../core/errors.js'
import { defineOperation } from '../../core/operation.js'
import { z } from '../../core/schema.js'
import { KeySchema, toKeyView } from '../../keys/key-schema.js'
import { RESELLER_TAG } from '../schemas.js'
import { resellerKeyOwner } from './reseller-key-owner.js'
import '../../keys/services.js'

export const ResellerKeyIdParams = z.object({ id: z.uuid().openapi({ description: 'The key id (not its prefix).' }) })

export const getResellerKey = defineOperation({
  id: 'reseller.keys.get',
  method: 'get',
  path: '/reseller/keys/{id}',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: 'Get one of your reseller keys',
  scope: 'admin',
  params: ResellerKeyIdParams,
  output: KeySchema,
  errors: ['not_found'],
  handler: async (input, ctx) => {
    const row = await ctx.services.keys.store.get(resellerKeyOwner(ctx), input.id)
    if (!row) throw notFound('API key')
    return toKeyView(row)
  },
})
