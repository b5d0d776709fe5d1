import { defineOperation } from '../../core/operation.js'
import { decodeCursor, page, PaginationQuery, toPage } from '../../core/pagination.js'
import { z } from '../../core/schema.js'
import { resellerOf } from '../reseller-service.js'
import { RESELLER_TAG, ResellerOrganizationSchema, toOrganizationView } from '../schemas.js'
import '../services.js'

export const listOrganizations = defineOperation({
  id: 'reseller.organizations.list',
  method: 'get',
  path: '/reseller/organizations',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: 'List your organisations',
  description: 'The organisations you provisioned, newest first. `external_id` finds one by your own id.',
  scope: 'read',
  query: PaginationQuery.extend({
    external_id: z.string().max(200).optional().openapi({ description: 'Only the organisation with this external id.' }),
    status: z.enum(['active', 'suspended']).optional(),
  }),
  output: page(ResellerOrganizationSchema),
  handler: async (input, ctx) => {
    const rows = await ctx.services.resellers.store.listOrganizations(
      resellerOf(ctx.principal).resellerId,
      { externalId: input.external_id, status: input.status },
      input.limit,
      decodeCursor(input.cursor),
    )
    return toPage(rows, input.limit, toOrganizationView)
  },
})
