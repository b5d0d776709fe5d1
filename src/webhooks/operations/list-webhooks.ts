import { searchParam } from '../../core/list-search.js'
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
  description:
    'Newest first. Secrets are never listed; get one endpoint to see its secret. ' +
    '`q` keeps endpoints whose URL contains it (any case), or that receive an event whose name contains it (by name, or subscribed to all events).',
  scope: 'admin',
  query: PaginationQuery.extend({
    q: searchParam('Search: part of the URL, or part of an event name.'),
  }),
  output: page(WebhookSchema),
  handler: async (input, ctx) => {
    const rows = await ctx.services.webhooks.list(orgIdOf(ctx.principal), input.limit, decodeCursor(input.cursor), input.q || undefined)
    return toPage(rows, input.limit, toWebhookView)
  },
})
