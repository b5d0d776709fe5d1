import { defineOperation } from '../../core/operation.js'
import { orgIdOf } from '../../core/principal.js'
import { DeliverySchema, toDeliveryView } from '../schemas.js'
import { TAG, WebhookIdParams } from './params.js'
import '../services.js'

export const sendTest = defineOperation({
  id: 'webhooks.test',
  method: 'post',
  path: '/webhooks/{id}/test',
  tags: [TAG],
  summary: 'Send a test event',
  description: 'Queues a signed `webhook.test` delivery to the endpoint and answers 202 with it; a disabled endpoint is 409 `conflict`.',
  scope: 'admin',
  status: 202,
  params: WebhookIdParams,
  output: DeliverySchema,
  errors: ['conflict'],
  handler: async (input, ctx) => toDeliveryView(await ctx.transaction((tx) => ctx.services.webhooks.sendTest(tx, orgIdOf(ctx.principal), input.id))),
})
