import { defineOperation } from '../../core/operation.js'
import { decodeCursor, page, PaginationQuery, toPage } from '../../core/pagination.js'
import { orgIdOf } from '../../core/principal.js'
import { z } from '../../core/schema.js'
import { DeliverySchema, toDeliveryView } from '../schemas.js'
import { TAG, WebhookIdParams } from './params.js'
import '../services.js'

export const listDeliveries = defineOperation({
  id: 'webhooks.deliveries',
  method: 'get',
  path: '/webhooks/{id}/deliveries',
  tags: [TAG],
  summary: 'List deliveries of an endpoint',
  description: 'Status, attempts, last response code and latency, and the next attempt; newest first.',
  scope: 'admin',
  params: WebhookIdParams,
  query: PaginationQuery.extend({ status: z.enum(['pending', 'sending', 'succeeded', 'failed']).optional() }),
  output: page(DeliverySchema),
  handler: async (input, ctx) => {
    const orgId = orgIdOf(ctx.principal)
    await ctx.services.webhooks.require(orgId, input.id)
    const rows = await ctx.services.webhooks.listDeliveries(orgId, input.id, input.limit, decodeCursor(input.cursor), input.status)
    return toPage(rows, input.limit, toDeliveryView)
  },
})
