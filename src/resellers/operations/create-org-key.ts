import { defineOperation } from '../../core/operation.js'
import { mintRequest } from '../../keys/as-owner.js'
import { MintedKeySchema, MintKeyBody } from '../../keys/key-schema.js'
import { OrgIdParams, RESELLER_TAG } from '../schemas.js'
import '../services.js'

export const createOrgKey = defineOperation({
  id: 'reseller.org_keys.create',
  method: 'post',
  path: '/reseller/organizations/{id}/keys',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: "Mint an organisation key on the organisation's behalf",
  description:
    "As `POST /keys`: an organisation key, shown **once** in this response. Scopes default to `[\"read\"]` and may not exceed " +
    "your reseller key's own. The key appears in the organisation's key list with your reseller key as its creator.",
  scope: 'admin',
  params: OrgIdParams,
  body: MintKeyBody,
  output: MintedKeySchema,
  secretFields: ['key'],
  errors: ['not_found', 'insufficient_scope'],
  handler: async (input, ctx) => {
    const { row, key } = await ctx.services.resellers.mintOrgKey(ctx, input.id, mintRequest(input))
    return { ...(await ctx.services.keys.view(row)), key }
  },
})
