import { defineOperation } from '../../core/operation.js'
import { decodeCursor, page, PaginationQuery } from '../../core/pagination.js'
import { KeySchema } from '../../keys/key-schema.js'
import { OrgIdParams, RESELLER_TAG } from '../schemas.js'
import '../services.js'

export const listOrgKeys = defineOperation({
  id: 'reseller.org_keys.list',
  method: 'get',
  path: '/reseller/organizations/{id}/keys',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: "List an organisation's API keys",
  description:
    "As `GET /keys` for the organisation: newest first, by display prefix, never the key itself. `created_by` tells the keys you minted from those the organisation's own users made.",
  scope: 'read',
  params: OrgIdParams,
  query: PaginationQuery,
  output: page(KeySchema),
  errors: ['not_found'],
  handler: async (input, ctx) => {
    const rows = await ctx.services.resellers.orgKeys(ctx, input.id, input.limit, decodeCursor(input.cursor))
    return ctx.services.keys.page(rows, input.limit)
  },
})
