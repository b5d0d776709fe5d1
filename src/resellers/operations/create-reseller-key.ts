import { defineOperation } from '../../core/operation.js'
import { mintAs } from '../../keys/as-owner.js'
import { MintedKeySchema, MintKeyBody } from '../../keys/key-schema.js'
import { RESELLER_TAG } from '../schemas.js'
import { resellerKeyOwner } from './reseller-key-owner.js'
import '../../keys/services.js'

export const createResellerKey = defineOperation({
  id: 'reseller.keys.create',
  method: 'post',
  path: '/reseller/keys',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: 'Mint a reseller key',
  description:
    'Another key for your reseller account, shown **once** in this response. Scopes default to `["read"]` and may not exceed your own.',
  scope: 'admin',
  body: MintKeyBody,
  output: MintedKeySchema,
  secretFields: ['key'],
  errors: ['insufficient_scope'],
  handler: (input, ctx) => mintAs(ctx, resellerKeyOwner(ctx), input),
})
