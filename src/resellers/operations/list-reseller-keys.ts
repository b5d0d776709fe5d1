import { defineOperation } from '../../core/operation.js'
import { decodeCursor, page, PaginationQuery, toPage } from '../../core/pagination.js'
import { KeySchema, toKeyView } from '../../keys/key-schema.js'
import { RESELLER_TAG } from '../schemas.js'
import { resellerKeyOwner } from './reseller-key-owner.js'
import '../../keys/services.js'

export const listResellerKeys = defineOperation({
  id: 'reseller.keys.list',
  method: 'get',
  path: '/reseller/keys',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: 'List your reseller keys',
  description: 'Newest first, by display prefix; the full key is never listed.',
  scope: 'admin',
  query: PaginationQuery,
  output: page(KeySchema),
  handler: async (input, ctx) => {
    const rows = await ctx.services.keys.store.list(resellerKeyOwner(ctx), input.limit, decodeCursor(input.cursor))
    return toPage(rows, input.limit, toKeyView)
  },
})
