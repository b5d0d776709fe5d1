import { defineOperation } from '../../core/operation.js'
import { KeySchema } from '../key-schema.js'
import { KeyIdParams } from './get-key.js'
import { ownerOf } from './owner.js'
import '../services.js'

export const revokeKey = defineOperation({
  id: 'keys.revoke',
  method: 'delete',
  path: '/keys/{id}',
  tags: ['API keys'],
  summary: 'Revoke an API key',
  description: 'Immediate and irreversible: the next request with the key answers 403 `api_key_revoked`. Revoking twice is harmless.',
  scope: 'admin',
  destructive: true,
  params: KeyIdParams,
  output: KeySchema,
  errors: ['not_found'],
  handler: async (input, ctx) => {
    const row = await ctx.transaction((tx) => ctx.services.keys.revoke(tx, ownerOf(ctx.principal), input.id))
    return ctx.services.keys.view(row)
  },
})
