import { defineOperation } from '../../core/operation.js'
import { decodeCursor, page, PaginationQuery, toPage } from '../../core/pagination.js'
import { orgIdOf } from '../../core/principal.js'
import { toWebhookView, WebhookSchema } from '../schemas.js'
import { TAG } from './params.js'
import '../services.js'

export const listWebhooks = defineOperation({
  id: 'webhooks.list',
  method: 'get',
  path: '/webhooks',
  tags: [TAG],
  summary: 'List webhook endpoints',
  description: 'Secrets are never listed; get one endpoint to see its secret.',
  scope: 'admin',
  query: PaginationQuery,
  output: page(WebhookSchema),
  handler: async (input, ctx) => {
    const rows = await ctx.services.webhooks.list(orgIdOf(ctx.principal), input.limit, decodeCursor(input.cursor))
    return toPage(rows, input.limit, toWebhookView)
  },
})
