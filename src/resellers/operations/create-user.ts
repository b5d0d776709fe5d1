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
    'Adds a person by e-mail with a role (default `member`). An e-mail new to Portico becomes a user and a member at once, with ' +
    'a one-time `setup_url` where they choose a password (`status: "invited"`): hand it to them now, it is not shown again. ' +
    'An e-mail that already has a Portico account (in any organisation, with or without a password yet) is never given a link: ' +
    'it gets an invitation that the user accepts or declines when signed in to the dashboard (`status: "pending"`, `setup_url: null`), ' +
    'and becomes a member only on accepting. With e-mail configured on the deployment (PORTICO_SMTP_URL), Portico e-mails the ' +
    'person their setup link (or the invitation) and answers `emailed: true` with `setup_url: null`; when the mail server refuses, ' +
    '`emailed` is false and the link is in the answer as without e-mail. ' +
    'The answer repeats what you sent, never what is stored about the person. ' +
    'A member of the organisation, or someone with a pending invitation to it, is 409 `conflict`.',
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
    const email = input.email.trim().toLowerCase()
    const done = await ctx.services.resellers.provisionUser(ctx, input.id, { email, name: input.name, role: input.role })
    // Only what the caller sent, and what this call did: the stored user's name and state stay private.
    const echo = { user_id: done.userId, email, name: input.name, role: input.role, created_at: done.createdAt }
    return done.kind === 'created'
      ? { ...toUserView(input.id, { ...echo, status: 'invited' }), setup_url: done.emailed ? null : done.setupUrl, setup_url_expires_at: isoTimestamp(done.expiresAt), emailed: done.emailed }
      : { ...toUserView(input.id, { ...echo, status: 'pending' }), setup_url: null, setup_url_expires_at: null, invitation_expires_at: isoTimestamp(done.expiresAt), emailed: done.emailed }
  },
})
