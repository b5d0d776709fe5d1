import { defineOperation } from '../../core/operation.js'
import { orgIdOf } from '../../core/principal.js'
import { toWebhookView, WebhookSchema } from '../schemas.js'
import { TAG, WebhookIdParams } from './params.js'
import '../services.js'

export const deleteWebhook = defineOperation({
  id: 'webhooks.delete',
  method: 'delete',
  path: '/webhooks/{id}',
  tags: [TAG],
  summary: 'Delete a webhook endpoint',
  description: 'Its pending deliveries are dropped.',
  scope: 'admin',
  destructive: true,
  params: WebhookIdParams,
  output: WebhookSchema,
  handler: async (input, ctx) => toWebhookView(await ctx.transaction((tx) => ctx.services.webhooks.remove(tx, orgIdOf(ctx.principal), input.id))),
})
