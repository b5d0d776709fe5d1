import { defineOperation } from '../../core/operation.js'
import { OrgIdParams, RESELLER_TAG, ResellerOrganizationSchema, toOrganizationView } from '../schemas.js'
import '../services.js'

export const resumeOrganization = defineOperation({
  id: 'reseller.organizations.resume',
  method: 'post',
  path: '/reseller/organizations/{id}/resume',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: 'Resume a suspended organisation',
  description: "The organisation's keys work again from the next request (revoked and expired keys stay so).",
  scope: 'admin',
  params: OrgIdParams,
  output: ResellerOrganizationSchema,
  status: 200,
  errors: ['not_found'],
  handler: async (input, ctx) => toOrganizationView(await ctx.services.resellers.setStatus(ctx, input.id, 'active')),
})
