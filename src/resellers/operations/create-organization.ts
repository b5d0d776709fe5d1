import { defineOperation } from '../../core/operation.js'
import { z } from '../../core/schema.js'
import { OrgRateLimitSchema } from '../../keys/key-schema.js'
import { RESELLER_TAG, ResellerOrganizationSchema, toOrganizationView } from '../schemas.js'
import '../services.js'

export const createOrganization = defineOperation({
  id: 'reseller.organizations.create',
  method: 'post',
  path: '/reseller/organizations',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: 'Provision an organisation',
  description:
    'Creates an organisation in your book of business. `external_id` is your own id for the customer and is unique among ' +
    'your organisations (a second one is 409 `conflict`). `rate_limits` overrides the default limit per class for every key ' +
    'of the organisation, or with `shared: true` sets one pool for all of them.',
  scope: 'admin',
  body: z.object({
    name: z.string().trim().min(1).max(200).openapi({ example: 'Acme Ltd' }),
    external_id: z.string().trim().min(1).max(200).optional().openapi({ example: 'cust_8812' }),
    rate_limits: z
      .record(z.string(), OrgRateLimitSchema)
      .optional()
      .openapi({
        description:
          'Per limit class, e.g. `{"send": {"limit": 10, "window_seconds": 60}}`: each key\'s limit. With `"shared": true` the class is one pool ' +
          'counted across all the organisation\'s keys (minting more keys buys no more quota), checked together with each key\'s own limit.',
      }),
  }),
  output: ResellerOrganizationSchema,
  errors: ['conflict'],
  handler: async (input, ctx) => {
    const row = await ctx.services.resellers.createOrganization(ctx, {
      name: input.name,
      externalId: input.external_id ?? null,
      rateLimits: input.rate_limits,
    })
    return toOrganizationView(row)
  },
})
