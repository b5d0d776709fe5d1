import { defineOperation } from '../../core/operation.js'
import { z } from '../../core/schema.js'
import { KeySchema } from '../../keys/key-schema.js'
import { RESELLER_TAG } from '../schemas.js'
import '../services.js'

export const revokeOrgKey = defineOperation({
  id: 'reseller.org_keys.revoke',
  method: 'delete',
  path: '/reseller/organizations/{id}/keys/{key_id}',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: "Revoke one of an organisation's API keys",
  description:
    "As `DELETE /keys/{id}` for the organisation: immediate and irreversible, written to the organisation's audit log. " +
    'Revoking twice is harmless. To stop every key of an organisation at once, suspend it instead.',
  scope: 'admin',
  destructive: true,
  params: z.object({
    id: z.uuid().openapi({ description: 'The organisation id Portico returned at creation.' }),
    key_id: z.uuid().openapi({ description: 'The key id (not its prefix).' }),
  }),
  output: KeySchema,
  errors: ['not_found'],
  handler: async (input, ctx) => ctx.services.keys.view(await ctx.services.resellers.revokeOrgKey(ctx, input.id, input.key_id)),
})
