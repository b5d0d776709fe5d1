import { defineOperation } from '../../core/operation.js'
import { decodeCursor, page, PaginationQuery, toPage } from '../../core/pagination.js'
import { orgIdOf } from '../../core/principal.js'
import { AttemptSchema, toAttemptView } from '../schemas.js'
import { DeliveryParams, TAG } from './params.js'
import '../services.js'

export const listAttempts = defineOperation({
  id: 'webhooks.delivery_attempts',
  method: 'get',
  path: '/webhooks/{id}/deliveries/{delivery_id}/attempts',
  tags: [TAG],
  summary: 'List the attempts of a delivery',
  description: "Every try to send it, newest first: the endpoint's status code or why no answer came, and how long it took.",
  scope: 'admin',
  params: DeliveryParams,
  query: PaginationQuery,
  output: page(AttemptSchema),
  errors: ['not_found'],
  handler: async (input, ctx) => {
    const rows = await ctx.services.webhooks.listAttempts(orgIdOf(ctx.principal), input.id, input.delivery_id, input.limit, decodeCursor(input.cursor))
    return toPage(rows, input.limit, toAttemptView)
  },
})
