import { defineOperation } from '../../core/operation.js'
import { expiryFrom, MintedKeySchema, MintKeyBody, toKeyView } from '../../keys/key-schema.js'
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
  handler: async (input, ctx) => {
    const { row, key } = await ctx.transaction((tx) =>
      ctx.services.keys.mint(tx, ctx.principal, resellerKeyOwner(ctx), {
        name: input.name,
        scopes: input.scopes ?? ['read'],
        expiresAt: expiryFrom(input),
      }),
    )
    return { ...toKeyView(row), key }
  },
})
