import { defineOperation } from '../../core/operation.js'
import { rollAs } from '../../keys/as-owner.js'
import { MintedKeySchema, RollKeyBody } from '../../keys/key-schema.js'
import { RESELLER_TAG } from '../schemas.js'
import { ResellerKeyIdParams } from './get-reseller-key.js'
import { resellerKeyOwner } from './reseller-key-owner.js'
import '../../keys/services.js'

export const rollResellerKey = defineOperation({
  id: 'reseller.keys.roll',
  method: 'post',
  path: '/reseller/keys/{id}/roll',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: 'Roll one of your reseller keys',
  description:
    'As `POST /keys/{id}/roll`: a replacement shown once, and the old key revoked when the grace period ends (0, the default: now).',
  scope: 'admin',
  params: ResellerKeyIdParams,
  body: RollKeyBody,
  output: MintedKeySchema,
  secretFields: ['key'],
  errors: ['not_found', 'conflict', 'insufficient_scope'],
  handler: (input, ctx) => rollAs(ctx, resellerKeyOwner(ctx), input.id, input.grace_period_seconds),
})
