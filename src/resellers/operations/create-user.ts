import { defineOperation } from '../../core/operation.js'
import { isoTimestamp, z } from '../../core/schema.js'
import { OrgIdParams, ProvisionedUserSchema, RESELLER_TAG, RoleSchema, toUserView } from '../schemas.js'
import '../services.js'

export const createUser = defineOperation({
  id: 'reseller.users.create',
  method: 'post',
  path: '/reseller/organizations/{id}/users',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: 'Provision a user in an organisation',
  description:
    'Adds the user with a role (default `member`) and answers a one-time `setup_url` where they set a password: ' +
    'hand it to the user now, it is not shown again. A user already in the organisation is 409 `conflict`.',
  scope: 'admin',
  params: OrgIdParams,
  body: z.object({
    email: z.email().max(254).openapi({ example: 'ada@acme.example' }),
    name: z.string().trim().min(1).max(200).openapi({ example: 'Ada Lovelace' }),
    role: RoleSchema.default('member'),
  }),
  output: ProvisionedUserSchema,
  secretFields: ['setup_url'],
  errors: ['not_found', 'conflict'],
  handler: async (input, ctx) => {
    const { member, setupUrl, expiresAt } = await ctx.services.resellers.provisionUser(ctx, input.id, {
      email: input.email,
      name: input.name,
      role: input.role,
    })
    return { ...toUserView(input.id, member), setup_url: setupUrl, setup_url_expires_at: isoTimestamp(expiresAt) }
  },
})
