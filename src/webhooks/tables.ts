import type { Kysely } from 'kysely'
import type { AnyDb } from '../core/context.js'
import type { CoreTables } from '../storage/db.js'

export interface WebhookEndpointsTable {
  id: string
  org_id: string
  url: string
  description: string
  events: string
  enabled: number
  secret: string
  previous_secret: string | null
  previous_secret_expires_at: string | null
  disabled_reason: string | null
  failing_since: string | null
  created_at: string
  updated_at: string
}

export interface WebhookDeliveriesTable {
  id: string
  org_id: string
  endpoint_id: string
  event_id: string | null
  msg_id: string
  event_type: string
  payload: string
  status: 'pending' | 'sending' | 'succeeded' | 'failed'
  attempts: number
  next_attempt_at: string | null
  lease_until: string | null
  deadline_at: string
  last_status_code: number | null
  last_error: string | null
  last_latency_ms: number | null
  last_attempt_at: string | null
  created_at: string
  completed_at: string | null
}

export interface WebhookAttemptsTable {
  id: string
  delivery_id: string
  org_id: string
  attempt: number
  status_code: number | null
  error: string | null
  latency_ms: number
  created_at: string
  /** The first bytes of the answer's body (at most 2 KB), as text; null when none came. */
  response_body: string | null
}

export interface WebhookTables extends CoreTables {
  webhook_endpoints: WebhookEndpointsTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_attempts: WebhookAttemptsTable
}

export type WebhookDb = Kysely<WebhookTables>
export const webhookDb = (db: AnyDb): WebhookDb => db as unknown as WebhookDb
