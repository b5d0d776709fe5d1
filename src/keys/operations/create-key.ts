import { defineOperation } from '../../core/operation.js'
import { expiryFrom, MintedKeySchema, MintKeyBody, toKeyView } from '../key-schema.js'
import { ownerOf } from './owner.js'
import '../services.js'

export const createKey = defineOperation({
  id: 'keys.create',
  method: 'post',
  path: '/keys',
  tags: ['API keys'],
  summary: 'Mint an API key',
  description:
    'Creates a key for your organisation. The full key is in this response **only**: store it now, it cannot be shown again. ' +
    'Scopes default to `["read"]` and may not exceed your own.',
  scope: 'admin',
  body: MintKeyBody,
  output: MintedKeySchema,
  secretFields: ['key'],
  errors: ['insufficient_scope'],
  handler: async (input, ctx) => {
    const { row, key } = await ctx.transaction((tx) =>
      ctx.services.keys.mint(tx, ctx.principal, ownerOf(ctx.principal), {
        name: input.name,
        scopes: input.scopes ?? ['read'],
        expiresAt: expiryFrom(input),
      }),
    )
    return { ...toKeyView(row), key }
  },
})
