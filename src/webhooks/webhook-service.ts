import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { AnyDb, TransactionScope } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import type { EventTypeSpec } from '../core/module.js'
import { likeEscaped } from '../core/list-search.js'
import { type Cursor, beforeCursor } from '../core/pagination.js'
import type { OutboxEvent } from '../events/outbox.js'
import { isoTimestamp } from '../core/schema.js'
import { coreDb, now } from '../storage/db.js'
import { assertPublicHost, UnsafeUrlError } from './address-guard.js'
import { DELIVERY_WINDOW_MS } from './retry-schedule.js'
import { newSecret } from './signing.js'
import { webhookDb, type WebhookAttemptsTable, type WebhookDb, type WebhookDeliveriesTable, type WebhookEndpointsTable } from './tables.js'

export interface WebhookInput {
  url?: string | undefined
  events?: string[] | undefined
  description?: string | undefined
  enabled?: boolean | undefined
}

const iso = (ms: number) => new Date(ms).toISOString()

/** Endpoints one organisation may have (PORTICO_WEBHOOKS_PER_ORG): each event fans out to every one, retried for a day. */
export const DEFAULT_WEBHOOKS_PER_ORG = 20

/** Runs a unit of work in one transaction (an operation's `ctx.transaction`). */
export type Transact = <T>(fn: (tx: TransactionScope) => Promise<T>) => Promise<T>

/** Endpoints, the deliveries the outbox fans out to them, and the operations on deliveries. */
export class WebhookService {
  readonly #db: WebhookDb

  constructor(
    db: AnyDb,
    private readonly allowPrivate: boolean,
    private readonly eventTypes: () => EventTypeSpec[],
    private readonly nudge: () => void,
    private readonly maxEndpoints = DEFAULT_WEBHOOKS_PER_ORG,
  ) {
    this.#db = webhookDb(db)
  }

  eventTypeList(): { type: string; summary: string }[] {
    return this.eventTypes().map((e) => ({ type: e.type, summary: e.summary }))
  }

  /** Event types an endpoint may subscribe to: every module's, Portico's own (the test event among them). */
  knownTypes(): string[] {
    return this.eventTypes().map((e) => e.type)
  }

  /** May resolve DNS, so it runs before the transaction opens: a slow resolver must not hold a write lock. */
  async validate(input: WebhookInput): Promise<void> {
    const fields: Record<string, string> = {}
    if (input.url !== undefined) {
      let url: URL | undefined
      try {
        url = new URL(input.url)
      } catch {
        fields.url = 'is not a valid URL'
      }
      if (url && url.protocol !== 'https:' && url.protocol !== 'http:') fields.url = 'must be an http or https URL'
      else if (url && (url.username || url.password)) fields.url = 'must not contain credentials'
      else if (url && !this.allowPrivate) {
        try {
          await assertPublicHost(url.hostname)
        } catch (err) {
          fields.url = err instanceof UnsafeUrlError ? `is refused: ${err.message}` : 'could not be resolved'
        }
      }
    }
    if (input.events !== undefined) {
      const known = this.knownTypes()
      input.events.forEach((type, i) => {
        if (type !== '*' && !known.includes(type)) fields[`events[${i}]`] = `is not an event type (see GET /webhooks/event-types)`
      })
    }
    const first = Object.entries(fields)[0]
    if (first) throw new ApiError('validation_error', `${first[0]} ${first[1]}`, { fields })
  }

  async create(transact: Transact, orgId: string, input: Required<Pick<WebhookInput, 'url' | 'events'>> & WebhookInput): Promise<WebhookEndpointsTable> {
    await this.validate(input)
    return transact((tx) => this.#insert(tx, orgId, input))
  }

  async #insert(tx: TransactionScope, orgId: string, input: Required<Pick<WebhookInput, 'url' | 'events'>> & WebhookInput): Promise<WebhookEndpointsTable> {
    // A no-op write to the organisation's row serialises its concurrent creations (PostgreSQL
    // holds the row lock until commit; SQLite has one writer), so the count below cannot be raced past.
    await coreDb(tx.db).updateTable('organizations').set((eb) => ({ status: eb.ref('status') })).where('id', '=', orgId).execute()
    const { n } = await webhookDb(tx.db)
      .selectFrom('webhook_endpoints')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow()
    if (Number(n) >= this.maxEndpoints) {
      throw new ApiError(
        'conflict',
        `This organisation already has ${this.maxEndpoints} webhook endpoints, the most it may have: delete one, or subscribe an existing endpoint to more events`,
      )
    }
    const at = now()
    const row: WebhookEndpointsTable = {
      id: randomUUID(),
      org_id: orgId,
      url: input.url,
      description: input.description ?? '',
      events: JSON.stringify([...new Set(input.events)]),
      enabled: input.enabled === false ? 0 : 1,
      secret: newSecret(),
      previous_secret: null,
      previous_secret_expires_at: null,
      disabled_reason: null,
      failing_since: null,
      created_at: at,
      updated_at: at,
    }
    await webhookDb(tx.db).insertInto('webhook_endpoints').values(row).execute()
    await tx.audit({ action: 'webhook.created', targetType: 'webhook_endpoint', targetId: row.id, details: { url: row.url, events: input.events } })
    return row
  }

  get(orgId: string, id: string, db: WebhookDb = this.#db): Promise<WebhookEndpointsTable | undefined> {
    return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst()
  }

  async require(orgId: string, id: string, db: WebhookDb = this.#db): Promise<WebhookEndpointsTable> {
    const row = await this.get(orgId, id, db)
    if (!row) throw new ApiError('not_found', 'Webhook endpoint not found')
    return row
  }

  /**
   * Newest first. `search` keeps endpoints whose URL contains it (any case), that subscribe to an
   * event whose name contains it, or, subscribed to all events, receive an event whose name does.
   */
  list(orgId: string, limit: number, cursor?: Cursor, search?: string): Promise<WebhookEndpointsTable[]> {
    let query = this.#db.selectFrom('webhook_endpoints').selectAll().where('org_id', '=', orgId)
    if (cursor) {
      query = query.where(beforeCursor(cursor))
    }
    if (search) {
      const text = search.toLowerCase()
      const inText = `%${likeEscaped(text)}%`
      // `events` is a JSON array of names; names never hold JSON's punctuation, so a search that
      // does is no event name and cannot match the array's syntax.
      const eventLike = /^[^"\\,[\]]+$/.test(text)
      const allEvents = this.knownTypes().some((type) => type.includes(text))
      query = query.where(
        sql<boolean>`(lower(url) like ${inText} escape '\\'${eventLike ? sql` or lower(events) like ${inText} escape '\\'` : sql``}${allEvents ? sql` or events like ${'%"*"%'}` : sql``})`,
      )
    }
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  }

  async update(transact: Transact, orgId: string, id: string, input: WebhookInput): Promise<WebhookEndpointsTable> {
    await this.validate(input)
    return transact((tx) => this.#patch(tx, orgId, id, input))
  }

  async #patch(tx: TransactionScope, orgId: string, id: string, input: WebhookInput): Promise<WebhookEndpointsTable> {
    const db = webhookDb(tx.db)
    await this.require(orgId, id, db)
    const patch: Partial<WebhookEndpointsTable> = { updated_at: now() }
    if (input.url !== undefined) patch.url = input.url
    if (input.events !== undefined) patch.events = JSON.stringify([...new Set(input.events)])
    if (input.description !== undefined) patch.description = input.description
    if (input.enabled !== undefined) {
      patch.enabled = input.enabled ? 1 : 0
      // Re-enabling starts afresh: the failure streak that disabled it is over.
      if (input.enabled) Object.assign(patch, { disabled_reason: null, failing_since: null })
    }
    const row = await db.updateTable('webhook_endpoints').set(patch).where('id', '=', id).where('org_id', '=', orgId).returningAll().executeTakeFirstOrThrow()
    await tx.audit({ action: 'webhook.updated', targetType: 'webhook_endpoint', targetId: id, details: { changed: Object.keys(input) } })
    return row
  }

  async rotateSecret(tx: TransactionScope, orgId: string, id: string, graceSeconds: number): Promise<WebhookEndpointsTable> {
    const db = webhookDb(tx.db)
    const current = await this.require(orgId, id, db)
    const at = Date.now()
    const row = await db
      .updateTable('webhook_endpoints')
      .set({
        secret: newSecret(),
        previous_secret: graceSeconds > 0 ? current.secret : null,
        previous_secret_expires_at: graceSeconds > 0 ? iso(at + graceSeconds * 1000) : null,
        updated_at: iso(at),
      })
      .where('id', '=', id)
      .where('org_id', '=', orgId)
      .returningAll()
      .executeTakeFirstOrThrow()
    await tx.audit({ action: 'webhook.secret_rotated', targetType: 'webhook_endpoint', targetId: id, details: { grace_period_seconds: graceSeconds } })
    return row
  }

  async remove(tx: TransactionScope, orgId: string, id: string): Promise<WebhookEndpointsTable> {
    const db = webhookDb(tx.db)
    const row = await this.require(orgId, id, db)
    await db.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).where('org_id', '=', orgId).execute()
    await db.deleteFrom('webhook_endpoints').where('id', '=', id).where('org_id', '=', orgId).execute()
    await tx.audit({ action: 'webhook.deleted', targetType: 'webhook_endpoint', targetId: id, details: { url: row.url } })
    return row
  }

  /** Outbox listener: in the event's own transaction, one delivery per subscribed, enabled endpoint. */
  fanOut = async (db: AnyDb, event: OutboxEvent): Promise<void> => {
    const wdb = webhookDb(db)
    const endpoints = await wdb.selectFrom('webhook_endpoints').select(['id', 'events']).where('org_id', '=', event.org_id).where('enabled', '=', 1).execute()
    const targets = endpoints.filter((e) => {
      const events = JSON.parse(e.events) as string[]
      return events.includes('*') || events.includes(event.type)
    })
    if (targets.length === 0) return
    const payload = JSON.stringify({ type: event.type, timestamp: isoTimestamp(event.created_at), data: JSON.parse(event.data) })
    const created = Date.parse(event.created_at)
    await wdb
      .insertInto('webhook_deliveries')
      .values(targets.map((t) => this.#delivery(event.org_id, t.id, event.id, `msg_${event.id.replaceAll('-', '')}`, event.type, payload, created)))
      .execute()
    this.nudge()
  }

  #delivery(orgId: string, endpointId: string, eventId: string | null, msgId: string, type: string, payload: string, createdMs: number): WebhookDeliveriesTable {
    return {
      id: randomUUID(),
      org_id: orgId,
      endpoint_id: endpointId,
      event_id: eventId,
      msg_id: msgId,
      event_type: type,
      payload,
      status: 'pending',
      attempts: 0,
      next_attempt_at: iso(createdMs),
      lease_until: null,
      deadline_at: iso(createdMs + DELIVERY_WINDOW_MS),
      last_status_code: null,
      last_error: null,
      last_latency_ms: null,
      last_attempt_at: null,
      created_at: iso(createdMs),
      completed_at: null,
    }
  }

  async sendTest(tx: TransactionScope, orgId: string, id: string): Promise<WebhookDeliveriesTable> {
    const db = webhookDb(tx.db)
    requireEnabled(await this.require(orgId, id, db))
    const at = Date.now()
    const msgId = `msg_${randomUUID().replaceAll('-', '')}`
    const payload = JSON.stringify({ type: 'webhook.test', timestamp: isoTimestamp(at), data: { webhook_id: id, message: 'This is a test delivery from Portico.' } })
    const row = this.#delivery(orgId, id, null, msgId, 'webhook.test', payload, at)
    await db.insertInto('webhook_deliveries').values(row).execute()
    await tx.audit({ action: 'webhook.test_sent', targetType: 'webhook_endpoint', targetId: id })
    this.nudge()
    return row
  }

  listDeliveries(orgId: string, endpointId: string, limit: number, cursor?: Cursor, status?: string): Promise<WebhookDeliveriesTable[]> {
    let query = this.#db.selectFrom('webhook_deliveries').selectAll().where('org_id', '=', orgId).where('endpoint_id', '=', endpointId)
    if (status) query = query.where('status', '=', status as WebhookDeliveriesTable['status'])
    if (cursor) {
      query = query.where(beforeCursor(cursor))
    }
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  }

  /** One delivery of one endpoint of the organisation, with the payload it sends; 404 for anything else. */
  async getDelivery(orgId: string, endpointId: string, deliveryId: string): Promise<WebhookDeliveriesTable> {
    await this.require(orgId, endpointId)
    const delivery = await this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', deliveryId)
      .where('endpoint_id', '=', endpointId)
      .where('org_id', '=', orgId)
      .executeTakeFirst()
    if (!delivery) throw new ApiError('not_found', 'Delivery not found')
    return delivery
  }

  /** Every attempt of one delivery of one endpoint of the organisation, newest first; 404 for anything else. */
  async listAttempts(orgId: string, endpointId: string, deliveryId: string, limit: number, cursor?: Cursor): Promise<WebhookAttemptsTable[]> {
    await this.getDelivery(orgId, endpointId, deliveryId)
    let query = this.#db.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', deliveryId).where('org_id', '=', orgId)
    if (cursor) query = query.where(beforeCursor(cursor))
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  }

  /** A manual retry resends the same message (same webhook-id) once more, now. */
  async retry(tx: TransactionScope, orgId: string, endpointId: string, deliveryId: string): Promise<WebhookDeliveriesTable> {
    const db = webhookDb(tx.db)
    const endpoint = await this.require(orgId, endpointId, db)
    const at = Date.now()
    const row = await db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: iso(at), lease_until: null, completed_at: null })
      .where('id', '=', deliveryId)
      .where('endpoint_id', '=', endpointId)
      .where('org_id', '=', orgId)
      .where('status', '!=', 'sending')
      .returningAll()
      .executeTakeFirst()
    if (!row) {
      const exists = await db.selectFrom('webhook_deliveries').select('status').where('id', '=', deliveryId).where('endpoint_id', '=', endpointId).where('org_id', '=', orgId).executeTakeFirst()
      if (!exists) throw new ApiError('not_found', 'Delivery not found')
      throw new ApiError('conflict', 'The delivery is being sent right now; retry when it has finished')
    }
    // Checked after the delivery is known, so a foreign delivery id stays a 404; the update rolls back.
    requireEnabled(endpoint)
    // Past its 24-hour window a manual retry gets one attempt; within it, the usual schedule continues.
    if (row.deadline_at < iso(at)) await db.updateTable('webhook_deliveries').set({ deadline_at: iso(at) }).where('id', '=', deliveryId).execute()
    await tx.audit({ action: 'webhook.delivery_retried', targetType: 'webhook_delivery', targetId: deliveryId })
    this.nudge()
    return row
  }
}

/** A disabled endpoint receives nothing, so sending to it by hand is refused rather than failed silently. */
function requireEnabled(endpoint: WebhookEndpointsTable): void {
  if (endpoint.enabled !== 1) throw new ApiError('conflict', 'The webhook endpoint is disabled; enable it (PATCH enabled: true) first')
}
