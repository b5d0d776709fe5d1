import { defineOperation } from '../../core/operation.js'
import { decodeCursor, page, PaginationQuery, toPage } from '../../core/pagination.js'
import { OrgIdParams, RESELLER_TAG, ResellerUserSchema, toUserView } from '../schemas.js'
import '../services.js'

export const listUsers = defineOperation({
  id: 'reseller.users.list',
  method: 'get',
  path: '/reseller/organizations/{id}/users',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: "List an organisation's users",
  description: 'Newest first, with each role and whether the user has set a password yet.',
  scope: 'read',
  params: OrgIdParams,
  query: PaginationQuery,
  output: page(ResellerUserSchema),
  errors: ['not_found'],
  handler: async (input, ctx) => {
    const org = await ctx.services.resellers.organization(ctx, input.id)
    const rows = await ctx.services.resellers.store.listMembers(org.id, input.limit, decodeCursor(input.cursor))
    return toPage(rows, input.limit, (row) => toUserView(org.id, row))
  },
})
