import { defineOperation } from '../../core/operation.js'
import { orgIdOf } from '../../core/principal.js'
import { DeliverySchema, toDeliveryView } from '../schemas.js'
import { DeliveryParams, TAG } from './params.js'
import '../services.js'

export const retryDelivery = defineOperation({
  id: 'webhooks.retry_delivery',
  method: 'post',
  path: '/webhooks/{id}/deliveries/{delivery_id}/retry',
  tags: [TAG],
  summary: 'Resend a delivery',
  description: 'Sends the same message again (same `webhook-id`), now. Answers 202: the attempt happens in the background. 409 `conflict` while it is being sent or when the endpoint is disabled.',
  scope: 'admin',
  status: 202,
  params: DeliveryParams,
  output: DeliverySchema,
  errors: ['conflict'],
  handler: async (input, ctx) =>
    toDeliveryView(await ctx.transaction((tx) => ctx.services.webhooks.retry(tx, orgIdOf(ctx.principal), input.id, input.delivery_id))),
})
