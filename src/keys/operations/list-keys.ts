import { defineOperation } from '../../core/operation.js'
import { decodeCursor, page, PaginationQuery } from '../../core/pagination.js'
import { KeySchema } from '../key-schema.js'
import { ownerOf } from './owner.js'
import '../services.js'

export const listKeys = defineOperation({
  id: 'keys.list',
  method: 'get',
  path: '/keys',
  tags: ['API keys'],
  summary: 'List API keys',
  description: 'Newest first. Keys are identified by their display prefix; the full key is never listed.',
  scope: 'admin',
  query: PaginationQuery,
  output: page(KeySchema),
  handler: async (input, ctx) => {
    const rows = await ctx.services.keys.store.list(ownerOf(ctx.principal), input.limit, decodeCursor(input.cursor))
    return ctx.services.keys.page(rows, input.limit)
  },
})
