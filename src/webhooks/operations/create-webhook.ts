import { defineOperation } from '../../core/operation.js'
import { orgIdOf } from '../../core/principal.js'
import { z } from '../../core/schema.js'
import { IssuedWebhookSchema, toWebhookWithSecret } from '../schemas.js'
import { EventsField, TAG } from './params.js'
import '../services.js'

export const createWebhook = defineOperation({
  id: 'webhooks.create',
  method: 'post',
  path: '/webhooks',
  tags: [TAG],
  summary: 'Create a webhook endpoint',
  description:
    'Answers the endpoint with its `whsec_…` secret. URLs resolving to private, loopback or link-local addresses are refused. ' +
    'An organisation has at most 20 endpoints (the deployer may change it); one more is 409 `conflict`.',
  scope: 'admin',
  body: z.object({
    url: z.string().max(2048).openapi({ example: 'https://example.com/webhooks/portico' }),
    events: EventsField,
    description: z.string().max(500).optional(),
    enabled: z.boolean().optional(),
  }),
  output: IssuedWebhookSchema,
  secretFields: ['secret'],
  errors: ['conflict'],
  handler: async (input, ctx) => toWebhookWithSecret(await ctx.services.webhooks.create((fn) => ctx.transaction(fn), orgIdOf(ctx.principal), input)),
})
