import { z, Timestamp, Uuid, isoTimestamp } from '../core/schema.js'
import type { WebhookAttemptsTable, WebhookDeliveriesTable, WebhookEndpointsTable } from './tables.js'

/**
 * An event-type name. OpenAPI lists the declared events (and `*`) as its `enum`, so a typed client
 * refuses a name that does not exist; validation answers which ones are unknown.
 */
export const EventTypeName = z.string().min(1).max(100).openapi('EventType')

export const WebhookSchema = z
  .object({
    id: Uuid,
    object: z.literal('webhook_endpoint'),
    url: z.string(),
    description: z.string(),
    events: z.array(EventTypeName),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('WebhookEndpoint')

export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().openapi({ description: 'Standard Webhooks secret (`whsec_…`): verify each delivery with it.' }),
  previous_secret_expires_at: Timestamp.nullable().openapi({ description: 'During a rotation, the old secret also signs until then.' }),
}).openapi('WebhookEndpointWithSecret')

/** What create and rotate answer: the secret is null in an idempotent replay (GET /webhooks/{id} shows it). */
export const IssuedWebhookSchema = WebhookWithSecretSchema.extend({
  secret: z.string().nullable().openapi({ description: 'Standard Webhooks secret (`whsec_…`); null in an idempotent replay, where `GET /webhooks/{id}` shows it.' }),
}).openapi('IssuedWebhookEndpoint')

export const DeliverySchema = z
  .object({
    id: Uuid,
    object: z.literal('webhook_delivery'),
    webhook_id: Uuid,
    event_id: z.string().nullable(),
    message_id: z.string().openapi({ description: 'The `webhook-id` header: the same on every attempt and manual retry.' }),
    event_type: z.string(),
    status: z.enum(['pending', 'sending', 'succeeded', 'failed']),
    attempts: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    last_latency_ms: z.number().int().nullable(),
    last_attempt_at: Timestamp.nullable(),
    next_attempt_at: Timestamp.nullable(),
    created_at: Timestamp,
    completed_at: Timestamp.nullable(),
  })
  .openapi('WebhookDelivery')

/** One delivery with the request body it sends (the same bytes on every attempt, signed as sent). */
export const DeliveryWithPayloadSchema = DeliverySchema.extend({
  payload: z.string().openapi({ description: 'The request body sent to the endpoint: the event as JSON text, byte for byte.' }),
}).openapi('WebhookDeliveryWithPayload')

export const EventSchema = z
  .object({ id: Uuid, object: z.literal('event'), type: z.string(), timestamp: Timestamp, data: z.unknown() })
  .openapi('Event')

export function toWebhookView(row: WebhookEndpointsTable): z.infer<typeof WebhookSchema> {
  return {
    id: row.id,
    object: 'webhook_endpoint',
    url: row.url,
    description: row.description,
    events: JSON.parse(row.events) as string[],
    enabled: row.enabled === 1,
    disabled_reason: row.disabled_reason,
    created_at: isoTimestamp(row.created_at)!,
    updated_at: isoTimestamp(row.updated_at)!,
  }
}

export function toWebhookWithSecret(row: WebhookEndpointsTable): z.infer<typeof WebhookWithSecretSchema> {
  const rotating = row.previous_secret_expires_at && row.previous_secret_expires_at > new Date().toISOString()
  return { ...toWebhookView(row), secret: row.secret, previous_secret_expires_at: rotating ? isoTimestamp(row.previous_secret_expires_at) : null }
}

export function toDeliveryView(row: WebhookDeliveriesTable): z.infer<typeof DeliverySchema> {
  return {
    id: row.id,
    object: 'webhook_delivery',
    webhook_id: row.endpoint_id,
    event_id: row.event_id,
    message_id: row.msg_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    last_latency_ms: row.last_latency_ms,
    last_attempt_at: isoTimestamp(row.last_attempt_at),
    next_attempt_at: row.status === 'pending' ? isoTimestamp(row.next_attempt_at) : null,
    created_at: isoTimestamp(row.created_at)!,
    completed_at: isoTimestamp(row.completed_at),
  }
}

export function toDeliveryWithPayload(row: WebhookDeliveriesTable): z.infer<typeof DeliveryWithPayloadSchema> {
  return { ...toDeliveryView(row), payload: row.payload }
}

export const AttemptSchema = z
  .object({
    id: Uuid,
    object: z.literal('webhook_attempt'),
    delivery_id: Uuid,
    attempt: z.number().int().openapi({ description: '1 for the first try; manual retries keep counting.' }),
    status_code: z.number().int().nullable().openapi({ description: "The endpoint's HTTP status; null when no answer came." }),
    error: z.string().nullable().openapi({ description: 'Why no answer came (timeout, connection refused, refused address…).' }),
    latency_ms: z.number().int(),
    response_body: z
      .string()
      .nullable()
      .openapi({ description: "The first bytes of the endpoint's answer (at most 2 KB, as UTF-8 text); null when no answer came." }),
    created_at: Timestamp,
  })
  .openapi('WebhookAttempt')

export function toAttemptView(row: WebhookAttemptsTable): z.infer<typeof AttemptSchema> {
  return {
    id: row.id,
    object: 'webhook_attempt',
    delivery_id: row.delivery_id,
    attempt: row.attempt,
    status_code: row.status_code,
    error: row.error,
    latency_ms: row.latency_ms,
    response_body: row.response_body ?? null,
    created_at: isoTimestamp(row.created_at)!,
  }
}
