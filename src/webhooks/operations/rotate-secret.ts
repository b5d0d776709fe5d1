import { defineOperation } from '../../core/operation.js'
import { orgIdOf } from '../../core/principal.js'
import { z } from '../../core/schema.js'
import { IssuedWebhookSchema, toWebhookWithSecret } from '../schemas.js'
import { TAG, WebhookIdParams } from './params.js'
import '../services.js'

export const rotateSecret = defineOperation({
  id: 'webhooks.rotate_secret',
  method: 'post',
  path: '/webhooks/{id}/rotate-secret',
  tags: [TAG],
  summary: 'Rotate an endpoint secret',
  description: 'A new secret signs from now on; during the grace period (default 24 h) the old one signs too, space-separated.',
  scope: 'admin',
  params: WebhookIdParams,
  body: z.object({ grace_period_seconds: z.number().int().min(0).max(604_800).default(86_400) }),
  output: IssuedWebhookSchema,
  secretFields: ['secret'],
  handler: async (input, ctx) =>
    toWebhookWithSecret(await ctx.transaction((tx) => ctx.services.webhooks.rotateSecret(tx, orgIdOf(ctx.principal), input.id, input.grace_period_seconds))),
})
