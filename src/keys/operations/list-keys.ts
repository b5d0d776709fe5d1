import { searchParam } from '../../core/list-search.js'
import { defineOperation } from '../../core/operation.js'
import { decodeCursor, page, PaginationQuery } from '../../core/pagination.js'
import { z } from '../../core/schema.js'
import { KeySchema } from '../key-schema.js'
import { keyFilters } from '../key-store.js'
import { ownerOf } from './owner.js'
import '../services.js'

export const listKeys = defineOperation({
  id: 'keys.list',
  method: 'get',
  path: '/keys',
  tags: ['API keys'],
  summary: 'List API keys',
  description:
    'Newest first. Keys are identified by their display prefix; the full key is never listed. ' +
    '`status` keeps keys that work now (`active`), the active ones that stop within 7 days (`expiring`: a rolled key in its grace period, or an expiry close by), ' +
    'or the ones that stopped (`expired`, `revoked`); `q` keeps names containing it (any case), prefixes starting with it, or the key with that id.',
  scope: 'admin',
  query: PaginationQuery.extend({
    status: z.enum(keyFilters).optional().openapi({ description: 'Only keys in this state; all keys when absent.' }),
    q: searchParam('Search: part of a name, the start of a prefix, or an id.'),
  }),
  output: page(KeySchema),
  handler: async (input, ctx) => {
    const rows = await ctx.services.keys.store.list(ownerOf(ctx.principal), input.limit, decodeCursor(input.cursor), {
      status: input.status,
      search: input.q || undefined,
    })
    return ctx.services.keys.page(rows, input.limit)
  },
})
