import type { Logger } from 'pino'
import type { AnyDb } from '../core/context.js'
import { runInTransaction, systemMeta } from '../core/transaction.js'
import type { AuditWriter, EventOutbox } from '../core/context.js'
import { send, type SendResult } from './send.js'
import { DISABLE_AFTER_MS, nextAttemptAt } from './retry-schedule.js'
import { signatureHeader } from './signing.js'
import { toWebhookView } from './schemas.js'
import { webhookDb, type WebhookDb, type WebhookDeliveriesTable, type WebhookEndpointsTable } from './tables.js'

export interface DispatcherOptions {
  db: AnyDb
  dialect: 'sqlite' | 'postgres'
  log: Logger
  outbox: EventOutbox
  auditWriter: AuditWriter
  allowPrivate: boolean
  /** Injected so tests drive the retry schedule without sleeping. */
  now?: () => number
  batchSize?: number
  concurrency?: number
  pollMs?: number
  leaseMs?: number
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Sends due deliveries. Several dispatchers (API processes, `portico worker`s) can run at once: a
 * batch is claimed with a lease in one statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so no
 * attempt is sent twice at once, and a crashed worker's lease simply expires and is claimed again.
 */
export class Dispatcher {
  readonly #db: WebhookDb
  readonly #now: () => number
  #timer: NodeJS.Timeout | undefined
  #running: Promise<number> | undefined
  #again = false
  #stopped = true

  constructor(private readonly options: DispatcherOptions) {
    this.#db = webhookDb(options.db)
    this.#now = options.now ?? Date.now
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#timer = setTimeout(() => void this.#loopOnce(), 0)
  }

  /** Something became due: look now rather than at the next poll. */
  nudge(): void {
    if (this.#stopped) return
    if (this.#running) this.#again = true
    else {
      clearTimeout(this.#timer)
      this.#timer = setTimeout(() => void this.#loopOnce(), 5)
    }
  }

  async #loopOnce(): Promise<void> {
    try {
      const sent = await this.tick()
      if (!this.#stopped) this.#timer = setTimeout(() => void this.#loopOnce(), sent > 0 || this.#again ? 0 : (this.options.pollMs ?? 250))
      this.#again = false
    } catch (err) {
      this.options.log.error({ err }, 'webhook dispatcher tick failed')
      if (!this.#stopped) this.#timer = setTimeout(() => void this.#loopOnce(), 1000)
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#running
  }

  /** Claims and sends one batch of due deliveries; returns how many it attempted. */
  tick(): Promise<number> {
    if (this.#running) return this.#running
    this.#running = this.#tick().finally(() => (this.#running = undefined))
    return this.#running
  }

  async #tick(): Promise<number> {
    const now = this.#now()
    const claimed = await this.#claim(now)
    if (claimed.length === 0) return 0
    const endpoints = new Map<string, WebhookEndpointsTable | undefined>()
    for (const id of new Set(claimed.map((d) => d.endpoint_id))) {
      endpoints.set(id, await this.#db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst())
    }
    const queue = [...claimed]
    const workers = Array.from({ length: Math.min(this.options.concurrency ?? 32, queue.length) }, async () => {
      for (let delivery = queue.shift(); delivery; delivery = queue.shift()) {
        await this.#attempt(delivery, endpoints.get(delivery.endpoint_id))
      }
    })
    await Promise.all(workers)
    return claimed.length
  }

  async #claim(now: number): Promise<WebhookDeliveriesTable[]> {
    const limit = this.options.batchSize ?? 200
    const leaseUntil = iso(now + (this.options.leaseMs ?? 60_000))
    const due = (qb: WebhookDb) => {
      let select = qb
        .selectFrom('webhook_deliveries')
        .select('id')
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', iso(now))]),
            eb.and([eb('status', '=', 'sending'), eb('lease_until', '<', iso(now))]),
          ]),
        )
        .orderBy('next_attempt_at')
        .limit(limit)
      if (this.options.dialect === 'postgres') select = select.forUpdate().skipLocked()
      return select
    }
    return this.#db
      .updateTable('webhook_deliveries')
      .set({ status: 'sending', lease_until: leaseUntil })
      .where('id', 'in', due(this.#db))
      .returningAll()
      .execute()
  }

  async #attempt(delivery: WebhookDeliveriesTable, endpoint: WebhookEndpointsTable | undefined): Promise<void> {
    const now = this.#now()
    if (!endpoint || endpoint.enabled !== 1) {
      await this.#finish(delivery, { status: 'failed', error: endpoint ? 'endpoint disabled' : 'endpoint deleted' }, now)
      return
    }
    const secrets = [endpoint.secret]
    if (endpoint.previous_secret && endpoint.previous_secret_expires_at && endpoint.previous_secret_expires_at > iso(now)) secrets.push(endpoint.previous_secret)
    const timestamp = new Date(now)
    const headers = {
      'webhook-id': delivery.msg_id,
      'webhook-timestamp': String(Math.floor(now / 1000)),
      'webhook-signature': signatureHeader(secrets, delivery.msg_id, timestamp, delivery.payload),
    }
    const result = await send(endpoint.url, headers, delivery.payload, this.options.allowPrivate)
    await this.#record(delivery, endpoint, result)
  }

  async #record(delivery: WebhookDeliveriesTable, endpoint: WebhookEndpointsTable, result: SendResult): Promise<void> {
    const now = this.#now()
    const ok = result.status !== null && result.status >= 200 && result.status < 300
    const attempt = {
      attempts: delivery.attempts + 1,
      last_status_code: result.status,
      last_error: result.error,
      last_latency_ms: result.latencyMs,
      last_attempt_at: iso(now),
      lease_until: null,
    }
    if (ok) {
      await this.#db.updateTable('webhook_deliveries').set({ ...attempt, status: 'succeeded', completed_at: iso(now), next_attempt_at: null }).where('id', '=', delivery.id).execute()
      if (endpoint.failing_since) await this.#db.updateTable('webhook_endpoints').set({ failing_since: null }).where('id', '=', endpoint.id).execute()
      return
    }
    if (result.status === 410) {
      await this.#db.updateTable('webhook_deliveries').set({ ...attempt, status: 'failed', completed_at: iso(now), next_attempt_at: null }).where('id', '=', delivery.id).execute()
      await this.#disable(endpoint, 'The endpoint answered 410 Gone')
      return
    }
    const next = nextAttemptAt(attempt.attempts, now, Date.parse(delivery.deadline_at), result.status === 429 || result.status === 503 ? result.retryAfterSeconds : null)
    if (next === null) {
      await this.#db.updateTable('webhook_deliveries').set({ ...attempt, status: 'failed', completed_at: iso(now), next_attempt_at: null }).where('id', '=', delivery.id).execute()
    } else {
      await this.#db.updateTable('webhook_deliveries').set({ ...attempt, status: 'pending', next_attempt_at: iso(next) }).where('id', '=', delivery.id).execute()
    }
    // An endpoint failing every attempt for 3 days is disabled; one success resets the streak.
    const since = endpoint.failing_since ?? iso(now)
    if (!endpoint.failing_since) {
      await this.#db.updateTable('webhook_endpoints').set({ failing_since: since }).where('id', '=', endpoint.id).where('failing_since', 'is', null).execute()
      endpoint.failing_since = since
    } else if (Date.parse(since) <= now - DISABLE_AFTER_MS) {
      await this.#disable(endpoint, 'Every delivery failed for 3 days')
    }
  }

  async #finish(delivery: WebhookDeliveriesTable, outcome: { status: 'failed'; error: string }, now: number): Promise<void> {
    await this.#db
      .updateTable('webhook_deliveries')
      .set({ status: outcome.status, last_error: outcome.error, completed_at: iso(now), lease_until: null, next_attempt_at: null })
      .where('id', '=', delivery.id)
      .execute()
  }

  /** Disables once (exactly one caller flips `enabled`) and tells the organisation with an event. */
  async #disable(endpoint: WebhookEndpointsTable, reason: string): Promise<void> {
    const { db, outbox, auditWriter } = this.options
    await runInTransaction({ db, outbox, auditWriter }, null, systemMeta('webhook-dispatcher'), endpoint.org_id, async (tx) => {
      const flipped = await webhookDb(tx.db)
        .updateTable('webhook_endpoints')
        .set({ enabled: 0, disabled_reason: reason, updated_at: iso(this.#now()) })
        .where('id', '=', endpoint.id)
        .where('enabled', '=', 1)
        .returningAll()
        .executeTakeFirst()
      if (!flipped) return
      endpoint.enabled = 0
      await tx.audit({ action: 'webhook.disabled', targetType: 'webhook_endpoint', targetId: endpoint.id, details: { reason } })
      await tx.emit('webhook.disabled', { webhook: toWebhookView(flipped), reason })
    })
    this.options.log.warn({ webhook_id: endpoint.id, org_id: endpoint.org_id, reason }, 'webhook endpoint disabled')
  }
}
