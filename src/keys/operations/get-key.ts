import { notFound } from '../../core/errors.js'
import { defineOperation } from '../../core/operation.js'
import { z } from '../../core/schema.js'
import { KeySchema } from '../key-schema.js'
import { ownerOf } from './owner.js'
import '../services.js'

export const KeyIdParams = z.object({ id: z.uuid().openapi({ description: 'The key id (not its prefix).' }) })

export const getKey = defineOperation({
  id: 'keys.get',
  method: 'get',
  path: '/keys/{id}',
  tags: ['API keys'],
  summary: 'Get an API key',
  scope: 'admin',
  params: KeyIdParams,
  output: KeySchema,
  errors: ['not_found'],
  handler: async (input, ctx) => {
    const row = await ctx.services.keys.store.getWithLineage(ownerOf(ctx.principal), input.id)
    if (!row) throw notFound('API key')
    return ctx.services.keys.view(row)
  },
})
