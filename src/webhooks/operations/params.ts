import { z } from '../../core/schema.js'
import { EventTypeName } from '../schemas.js'

export const WebhookIdParams = z.object({ id: z.uuid() })
export const DeliveryParams = z.object({ id: z.uuid(), delivery_id: z.uuid() })
export const TAG = 'Webhooks'
export const EventsField = z
  .array(EventTypeName)
  .min(1)
  .max(100)
  .openapi({ description: 'Event types to receive, or `["*"]` for all; see `GET /webhooks/event-types`.' })
