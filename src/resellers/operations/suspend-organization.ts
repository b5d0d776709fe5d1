import { defineOperation } from '../../core/operation.js'
import { OrgIdParams, RESELLER_TAG, ResellerOrganizationSchema, toOrganizationView } from '../schemas.js'
import '../services.js'

export const suspendOrganization = defineOperation({
  id: 'reseller.organizations.suspend',
  method: 'post',
  path: '/reseller/organizations/{id}/suspend',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: 'Suspend an organisation',
  description:
    "From the next request on, every key of the organisation answers 403 `organization_suspended`; nothing is deleted. " +
    'Suspending a suspended organisation changes nothing.',
  scope: 'admin',
  params: OrgIdParams,
  output: ResellerOrganizationSchema,
  status: 200,
  errors: ['not_found'],
  handler: async (input, ctx) => toOrganizationView(await ctx.services.resellers.setStatus(ctx, input.id, 'suspended')),
})
