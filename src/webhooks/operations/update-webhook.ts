import { defineOperation } from '../../core/operation.js'
import { orgIdOf } from '../../core/principal.js'
import { z } from '../../core/schema.js'
import { toWebhookView, WebhookSchema } from '../schemas.js'
import { EventsField, TAG, WebhookIdParams } from './params.js'
import '../services.js'

export const updateWebhook = defineOperation({
  id: 'webhooks.update',
  method: 'patch',
  path: '/webhooks/{id}',
  tags: [TAG],
  summary: 'Update a webhook endpoint',
  description: 'Change its URL, events, description, or enable it again after it was disabled.',
  scope: 'admin',
  params: WebhookIdParams,
  body: z.object({
    url: z.string().max(2048).optional(),
    events: EventsField.optional(),
    description: z.string().max(500).optional(),
    enabled: z.boolean().optional(),
  }),
  output: WebhookSchema,
  handler: async ({ id, ...patch }, ctx) =>
    toWebhookView(await ctx.services.webhooks.update((fn) => ctx.transaction(fn), orgIdOf(ctx.principal), id, patch)),
})
