import { defineOperation } from '../../core/operation.js'
import { MintedKeySchema, MintKeyBody } from '../key-schema.js'
import { mintAs } from '../as-owner.js'
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
  handler: (input, ctx) => mintAs(ctx, ownerOf(ctx.principal), input),
})
