import { defineOperation } from '../../core/operation.js'
import { orgIdOf } from '../../core/principal.js'
import { toWebhookWithSecret, WebhookWithSecretSchema } from '../schemas.js'
import { TAG, WebhookIdParams } from './params.js'
import '../services.js'

export const getWebhook = defineOperation({
  id: 'webhooks.get',
  method: 'get',
  path: '/webhooks/{id}',
  tags: [TAG],
  summary: 'Get a webhook endpoint with its secret',
  scope: 'admin',
  params: WebhookIdParams,
  output: WebhookWithSecretSchema,
  handler: async (input, ctx) => toWebhookWithSecret(await ctx.services.webhooks.require(orgIdOf(ctx.principal), input.id)),
})
