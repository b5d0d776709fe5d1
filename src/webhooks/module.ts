import { defineModule } from '../core/module.js'
import { z } from '../core/schema.js'
import { createWebhook } from './operations/create-webhook.js'
import { deleteWebhook } from './operations/delete-webhook.js'
import { getDelivery } from './operations/get-delivery.js'
import { getWebhook } from './operations/get-webhook.js'
import { listAttempts } from './operations/list-attempts.js'
import { listDeliveries } from './operations/list-deliveries.js'
import { listEventTypes } from './operations/list-event-types.js'
import { listEvents } from './operations/list-events.js'
import { listWebhooks } from './operations/list-webhooks.js'
import { retryDelivery } from './operations/retry-delivery.js'
import { revealSecret } from './operations/reveal-secret.js'
import { rotateSecret } from './operations/rotate-secret.js'
import { sendTest } from './operations/send-test.js'
import { updateWebhook } from './operations/update-webhook.js'
import { WebhookSchema } from './schemas.js'

export const webhooksModule = defineModule({
  name: 'webhooks',
  // event-types before {id}, so the static path wins the route.
  operations: [listEventTypes, listWebhooks, createWebhook, getWebhook, updateWebhook, deleteWebhook, rotateSecret, revealSecret, listDeliveries, getDelivery, listAttempts, retryDelivery, sendTest, listEvents],
  tags: [{ name: 'Webhooks', description: 'Signed deliveries (Standard Webhooks) retried for up to 24 hours, and the events they carry.' }],
  events: [
    {
      type: 'webhook.disabled',
      summary: 'An endpoint was disabled: it answered 410 Gone, or every delivery failed for 3 days',
      schema: z.object({ webhook: WebhookSchema, reason: z.string() }),
    },
    {
      type: 'webhook.test',
      summary: 'A test delivery, sent to one endpoint by POST /webhooks/{id}/test',
      schema: z.object({ webhook_id: z.uuid(), message: z.string() }),
    },
  ],
})
