import { randomUUID } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import type { Logger } from 'pino'
import type { AnyDb, AuditWriter, EventOutbox } from '../core/context.js'
import { runInTransaction, systemMeta } from '../core/transaction.js'
import { DISABLE_AFTER_MS, nextAttemptAt } from './retry-schedule.js'
import { toWebhookView } from './schemas.js'
import { send, SEND_TIMEOUT_MS, type SendResult } from './send.js'
import { signatureHeader } from './signing.js'
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

/** Every attempt in flight listens on its signal (32 at once by default), more than Node's warning level. */
function unlimitedController(): AbortController {
  const controller = new AbortController()
  setMaxListeners(0, controller.signal)
  return controller
}
/** After a nudge, look again this often for a while: the nudging transaction may not have committed yet. */
const NUDGE_WINDOW_MS = 250
const NUDGE_POLL_MS = 10

/**
 * Sends due deliveries. Several dispatchers (API processes, `portico worker`s) can run at once: a
 * batch is claimed with a lease in one statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so no
 * attempt is sent twice at once, and a crashed worker's lease simply expires and is claimed again.
 * No attempt outlives its lease: its timeout is cut to what is left of it, and what a batch could
 * not start in time is handed back, so a slow batch never overlaps another dispatcher's claim.
 */
export class Dispatcher {
  readonly #db: WebhookDb
  readonly #now: () => number
  readonly #leaseMs: number
  #timer: NodeJS.Timeout | undefined
  #running: Promise<number> | undefined
  #again = false
  #nudgedAt = 0
  #stopped = true
  /** Set by stop() (not merely never started, as when tests call tick()): no new attempt. */
  #halted = false
  /** Cuts the attempts in flight when a stop's grace runs out. */
  #abort = unlimitedController()

  constructor(private readonly options: DispatcherOptions) {
    this.#db = webhookDb(options.db)
    this.#now = options.now ?? Date.now
    this.#leaseMs = options.leaseMs ?? 60_000
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    this.#halted = false
    this.#abort = unlimitedController()
    this.#timer = setTimeout(() => void this.#loopOnce(), 0)
  }

  /** Something became due: look now rather than at the next poll. */
  nudge(): void {
    this.#nudgedAt = Date.now()
    if (this.#stopped) return
    if (this.#running) this.#again = true
    else {
      clearTimeout(this.#timer)
      this.#timer = setTimeout(() => void this.#loopOnce(), 5)
    }
  }

  async #loopOnce(): Promise<void> {
    try {
      this.#again = false
      const sent = await this.tick()
      if (this.#stopped) return
      const recentlyNudged = Date.now() - this.#nudgedAt < NUDGE_WINDOW_MS
      const delay = sent > 0 || this.#again ? 0 : recentlyNudged ? NUDGE_POLL_MS : (this.options.pollMs ?? 250)
      this.#timer = setTimeout(() => void this.#loopOnce(), delay)
    } catch (err) {
      this.options.log.error({ err }, 'webhook dispatcher tick failed')
      if (!this.#stopped) this.#timer = setTimeout(() => void this.#loopOnce(), 1000)
    }
  }

  /**
   * Starts no new attempt: the rest of the batch is handed back at once. Attempts in flight get
   * `graceMs` to finish; then they are cut and handed back too, unrecorded, so another dispatcher
   * (or this one restarted) sends them again, with the same `webhook-id`.
   */
  async stop(graceMs = 2000): Promise<void> {
    this.#stopped = true
    this.#halted = true
    clearTimeout(this.#timer)
    const running = this.#running
    if (!running) return
    const cut = setTimeout(() => this.#abort.abort(), graceMs)
    try {
      await running
    } catch (err) {
      this.options.log.warn({ err }, 'webhook dispatcher: could not hand back its batch; its lease expires instead')
    } finally {
      clearTimeout(cut)
    }
  }

  /** Claims and sends one batch of due deliveries; returns how many it claimed. */
  tick(): Promise<number> {
    if (this.#running) return this.#running
    this.#running = this.#tick().finally(() => (this.#running = undefined))
    return this.#running
  }

  async #tick(): Promise<number> {
    const claimedAt = this.#now()
    const claimed = await this.#claim(claimedAt)
    if (claimed.length === 0) return 0
    const leaseEnd = claimedAt + this.#leaseMs
    const lease = iso(leaseEnd)
    const ids = [...new Set(claimed.map((d) => d.endpoint_id))]
    const rows = await this.#db.selectFrom('webhook_endpoints').selectAll().where('id', 'in', ids).execute()
    const endpoints = new Map(rows.map((e) => [e.id, e]))
    // Room kept at the end of the lease to record the outcome, and the least worth starting an attempt with.
    const margin = Math.min(2000, this.#leaseMs / 10)
    const minimum = Math.min(1000, this.#leaseMs / 2)
    const queue = [...claimed]
    const handBack: string[] = []
    const workers = Array.from({ length: Math.min(this.options.concurrency ?? 32, queue.length) }, async () => {
      for (let delivery = queue.shift(); delivery; delivery = queue.shift()) {
        const budget = leaseEnd - margin - this.#now()
        if (this.#halted || budget < minimum) handBack.push(delivery.id)
        else if (!(await this.#attempt(delivery, lease, endpoints.get(delivery.endpoint_id), Math.min(budget, SEND_TIMEOUT_MS)))) handBack.push(delivery.id)
      }
    })
    await Promise.all(workers)
    if (handBack.length > 0) {
      await this.#db
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', lease_until: null })
        .where('id', 'in', handBack)
        .where('lease_until', '=', lease)
        .execute()
    }
    return claimed.length
  }

  /** One atomic statement: exactly one dispatcher receives each due row (or each expired lease). */
  async #claim(now: number): Promise<WebhookDeliveriesTable[]> {
    const limit = this.options.batchSize ?? 200
    const due = (qb: WebhookDb) =>
      qb
        .selectFrom('webhook_deliveries')
        .select('id')
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', iso(now))]),
            eb.and([eb('status', '=', 'sending'), eb('lease_until', '<', iso(now))]),
          ]),
        )
    // A read first: an idle poll then takes no write lock (SQLite has one writer for every process).
    if (!(await due(this.#db).limit(1).executeTakeFirst())) return []
    let candidates = due(this.#db).orderBy('next_attempt_at').limit(limit)
    if (this.options.dialect === 'postgres') candidates = candidates.forUpdate().skipLocked()
    return this.#db
      .updateTable('webhook_deliveries')
      .set({ status: 'sending', lease_until: iso(now + this.#leaseMs) })
      .where('id', 'in', candidates)
      .returningAll()
      .execute()
  }

  /** False when the attempt was cut by a stop: nothing is recorded and the delivery is handed back. */
  async #attempt(delivery: WebhookDeliveriesTable, lease: string, endpoint: WebhookEndpointsTable | undefined, timeoutMs: number): Promise<boolean> {
    const now = this.#now()
    if (!endpoint || endpoint.enabled !== 1) {
      await this.#settle(delivery, lease, { status: 'failed', last_error: endpoint ? 'endpoint disabled' : 'endpoint deleted', completed_at: iso(now), next_attempt_at: null })
      return true
    }
    const secrets = [endpoint.secret]
    if (endpoint.previous_secret && endpoint.previous_secret_expires_at && endpoint.previous_secret_expires_at > iso(now)) secrets.push(endpoint.previous_secret)
    const headers = {
      'webhook-id': delivery.msg_id,
      'webhook-timestamp': String(Math.floor(now / 1000)),
      'webhook-signature': signatureHeader(secrets, delivery.msg_id, new Date(now), delivery.payload),
    }
    const result = await send(endpoint.url, headers, delivery.payload, { allowPrivate: this.options.allowPrivate, timeoutMs, now: this.#now, signal: this.#abort.signal })
    if (result.cancelled) return false
    await this.#record(delivery, lease, endpoint, result)
    return true
  }

  /** Writes the outcome only while the lease is still this dispatcher's. */
  async #settle(delivery: WebhookDeliveriesTable, lease: string, patch: Partial<WebhookDeliveriesTable>): Promise<void> {
    const updated = await this.#db
      .updateTable('webhook_deliveries')
      .set({ ...patch, lease_until: null })
      .where('id', '=', delivery.id)
      .where('status', '=', 'sending')
      .where('lease_until', '=', lease)
      .executeTakeFirst()
    if (Number(updated.numUpdatedRows) === 0) this.options.log.warn({ delivery_id: delivery.id }, 'webhook delivery lease lost before its outcome was recorded')
  }

  async #record(delivery: WebhookDeliveriesTable, lease: string, endpoint: WebhookEndpointsTable, result: SendResult): Promise<void> {
    const now = this.#now()
    const ok = result.status !== null && result.status >= 200 && result.status < 300
    const attempt = {
      attempts: delivery.attempts + 1,
      last_status_code: result.status,
      last_error: result.error,
      last_latency_ms: result.latencyMs,
      last_attempt_at: iso(now),
    }
    // The history keeps every attempt that was made, even one whose lease ran out meanwhile.
    await this.#db
      .insertInto('webhook_attempts')
      .values({
        id: randomUUID(),
        delivery_id: delivery.id,
        org_id: delivery.org_id,
        attempt: attempt.attempts,
        status_code: result.status,
        error: result.error,
        latency_ms: Math.round(result.latencyMs),
        created_at: iso(now),
        response_body: result.responseBody ?? null,
      })
      .execute()
    if (ok) {
      await this.#settle(delivery, lease, { ...attempt, status: 'succeeded', completed_at: iso(now), next_attempt_at: null })
      if (endpoint.failing_since) {
        await this.#db.updateTable('webhook_endpoints').set({ failing_since: null }).where('id', '=', endpoint.id).execute()
        endpoint.failing_since = null
      }
      return
    }
    if (result.status === 410) {
      await this.#settle(delivery, lease, { ...attempt, status: 'failed', completed_at: iso(now), next_attempt_at: null })
      await this.#disable(endpoint, 'The endpoint answered 410 Gone')
      return
    }
    const retryAfter = result.status === 429 || result.status === 503 ? result.retryAfterSeconds : null
    const next = nextAttemptAt(attempt.attempts, now, Date.parse(delivery.deadline_at), retryAfter)
    if (next === null) await this.#settle(delivery, lease, { ...attempt, status: 'failed', completed_at: iso(now), next_attempt_at: null })
    else await this.#settle(delivery, lease, { ...attempt, status: 'pending', next_attempt_at: iso(next) })
    // An endpoint failing every attempt for 3 days is disabled; one success resets the streak.
    if (!endpoint.failing_since) {
      endpoint.failing_since = iso(now)
      await this.#db.updateTable('webhook_endpoints').set({ failing_since: endpoint.failing_since }).where('id', '=', endpoint.id).where('failing_since', 'is', null).execute()
    } else if (Date.parse(endpoint.failing_since) <= now - DISABLE_AFTER_MS) {
      await this.#disable(endpoint, 'Every delivery failed for 3 days')
    }
  }

  /** Disables once (exactly one caller flips `enabled`) and tells the organisation: an event and an audit entry. */
  async #disable(endpoint: WebhookEndpointsTable, reason: string): Promise<void> {
    const { db, outbox, auditWriter } = this.options
    const flipped = await runInTransaction({ db, outbox, auditWriter }, null, systemMeta('webhook-dispatcher'), endpoint.org_id, async (tx) => {
      const row = await webhookDb(tx.db)
        .updateTable('webhook_endpoints')
        .set({ enabled: 0, disabled_reason: reason, updated_at: iso(this.#now()) })
        .where('id', '=', endpoint.id)
        .where('enabled', '=', 1)
        .returningAll()
        .executeTakeFirst()
      if (!row) return false
      await tx.audit({ action: 'webhook.disabled', targetType: 'webhook_endpoint', targetId: endpoint.id, details: { reason } })
      await tx.emit('webhook.disabled', { webhook: toWebhookView(row), reason })
      return true
    })
    endpoint.enabled = 0
    if (flipped) this.options.log.warn({ webhook_id: endpoint.id, org_id: endpoint.org_id, reason }, 'webhook endpoint disabled')
  }
}
