import { defineOperation } from '../../core/operation.js'
import { orgIdOf } from '../../core/principal.js'
import { DeliveryWithPayloadSchema, toDeliveryWithPayload } from '../schemas.js'
import { DeliveryParams, TAG } from './params.js'
import '../services.js'

export const getDelivery = defineOperation({
  id: 'webhooks.delivery_get',
  method: 'get',
  path: '/webhooks/{id}/deliveries/{delivery_id}',
  tags: [TAG],
  summary: 'Get a delivery and its payload',
  description:
    'The delivery as listed, with `payload`: the exact request body sent to the endpoint. What the endpoint answered is in its attempts (`GET …/attempts`: status and the first 2 KB of the body).',
  scope: 'admin',
  params: DeliveryParams,
  output: DeliveryWithPayloadSchema,
  errors: ['not_found'],
  handler: async (input, ctx) => toDeliveryWithPayload(await ctx.services.webhooks.getDelivery(orgIdOf(ctx.principal), input.id, input.delivery_id)),
})
