import { defineOperation } from '../../core/operation.js'
import { MintedKeySchema, RollKeyBody } from '../key-schema.js'
import { rollAs } from '../as-owner.js'
import { KeyIdParams } from './get-key.js'
import { ownerOf } from './owner.js'
import '../services.js'

export const rollKey = defineOperation({
  id: 'keys.roll',
  method: 'post',
  path: '/keys/{id}/roll',
  tags: ['API keys'],
  summary: 'Roll an API key',
  description:
    'Mints a replacement (new id, same name, scopes and limits, `rolled_from` set) shown once, and revokes the old key ' +
    'when the grace period ends (0, the default: now). A key that was already rolled (in its grace period) or is revoked is 409 `conflict`: ' +
    'roll its replacement instead, so a key never has two live successors.',
  scope: 'admin',
  params: KeyIdParams,
  body: RollKeyBody,
  output: MintedKeySchema,
  secretFields: ['key'],
  errors: ['not_found', 'conflict', 'insufficient_scope'],
  handler: (input, ctx) => rollAs(ctx, ownerOf(ctx.principal), input.id, input.grace_period_seconds),
})
