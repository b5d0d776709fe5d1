import { z, Timestamp, Uuid, isoTimestamp } from '../core/schema.js'
import { OrgRateLimitSchema } from '../keys/key-schema.js'
import { parseRateLimits } from '../keys/key-store.js'
import type { MemberRow, ResellerOrgRow } from './reseller-store.js'

export const RESELLER_TAG = 'Resellers'

export const OrgIdParams = z.object({ id: z.uuid().openapi({ description: 'The organisation id Portico returned at creation.' }) })

export const ResellerOrganizationSchema = z
  .object({
    id: Uuid,
    object: z.literal('organization'),
    name: z.string(),
    external_id: z.string().nullable().openapi({ description: 'Your own id for this customer; unique among your organisations.' }),
    status: z.enum(['active', 'suspended']).openapi({ description: "`suspended`: the organisation's keys answer 403 `organization_suspended`, its dashboard users can read but not write, and its public signing pages and direct links are unavailable." }),
    rate_limits: z.record(z.string(), OrgRateLimitSchema).openapi({ description: 'Per-class limits for every key of the organisation; `shared`: one pool for all its keys.' }),
    created_at: Timestamp,
  })
  .openapi('ResellerOrganization')

export function toOrganizationView(row: ResellerOrgRow): z.infer<typeof ResellerOrganizationSchema> {
  return {
    id: row.id,
    object: 'organization',
    name: row.name,
    external_id: row.external_id,
    status: row.status,
    rate_limits: parseRateLimits(row.rate_limits),
    created_at: isoTimestamp(row.created_at)!,
  }
}

export const RoleSchema = z.enum(['owner', 'admin', 'member']).openapi('Role')

export const ResellerUserSchema = z
  .object({
    user_id: Uuid,
    object: z.literal('user'),
    org_id: Uuid,
    email: z.string(),
    name: z.string(),
    role: RoleSchema,
    status: z.enum(['active', 'invited', 'pending']).openapi({
      description:
        '`invited`: a new user who has not used their setup link yet; `active`: a member who has a password; ' +
        '`pending` (only in the answer to provisioning): an existing user invited to the organisation, a member once they accept.',
    }),
    created_at: Timestamp.openapi({ description: 'When the user joined this organisation.' }),
  })
  .openapi('ResellerUser')

export const ProvisionedUserSchema = ResellerUserSchema.extend({
  setup_url: z
    .string()
    .nullable()
    .openapi({
      description:
        'One-time link where a new user chooses a password. Shown in this response only; null in an idempotent replay, ' +
        'null for an e-mail that already has a Portico account (they accept the invitation when signed in), ' +
        'and null when it was e-mailed to the person (`emailed`).',
    }),
  setup_url_expires_at: Timestamp.nullable(),
  emailed: z.boolean().openapi({
    description: 'Whether Portico e-mailed the person their setup link or invitation (only with PORTICO_SMTP_URL, and only when the mail server took it).',
  }),
  invitation_expires_at: Timestamp.nullable()
    .optional()
    .openapi({ description: 'For `status: "pending"`: until when the invitation can be accepted (30 days).' }),
}).openapi('ProvisionedUser')

export function toUserView(orgId: string, member: Omit<MemberRow, 'id' | 'status'> & { status: 'active' | 'invited' | 'pending' }): z.infer<typeof ResellerUserSchema> {
  return {
    user_id: member.user_id,
    object: 'user',
    org_id: orgId,
    email: member.email,
    name: member.name,
    role: member.role,
    status: member.status,
    created_at: isoTimestamp(member.created_at)!,
  }
}
