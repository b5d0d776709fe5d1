import { defineOperation } from '../../core/operation.js'
import { z } from '../../core/schema.js'
import { TAG } from './params.js'
import '../services.js'

export const listEventTypes = defineOperation({
  id: 'webhooks.event_types',
  method: 'get',
  path: '/webhooks/event-types',
  tags: [TAG],
  summary: 'List event types',
  description: 'Every event an endpoint can subscribe to; payload schemas are in the OpenAPI `webhooks` section.',
  scope: 'admin',
  output: z.object({ data: z.array(z.object({ type: z.string(), summary: z.string() })) }),
  handler: async (_input, ctx) => ({
    data: ctx.services.webhooks.eventTypeList(),
  }),
})
