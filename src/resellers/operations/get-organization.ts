import { defineOperation } from '../../core/operation.js'
import { OrgIdParams, RESELLER_TAG, ResellerOrganizationSchema, toOrganizationView } from '../schemas.js'
import '../services.js'

export const getOrganization = defineOperation({
  id: 'reseller.organizations.get',
  method: 'get',
  path: '/reseller/organizations/{id}',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: 'Get one of your organisations',
  description: "Another reseller's organisation is 404, as is one that does not exist.",
  scope: 'read',
  params: OrgIdParams,
  output: ResellerOrganizationSchema,
  errors: ['not_found'],
  handler: async (input, ctx) => toOrganizationView(await ctx.services.resellers.organization(ctx, input.id)),
})
