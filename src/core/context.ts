import type { Kysely, Transaction } from 'kysely'
import type { Logger } from 'pino'
import type { Operation, RawRequestBody } from './operation.js'
import type { Principal } from './principal.js'

/**
 * Typed services reachable from a handler. Each capability adds its own members by declaration
 * merging (`declare module '../core/context.js' { interface Services { keys: KeyStore } }`), so core
 * never imports a capability and the server wires the real implementations once.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Services {}

 
export type AnyDb = Kysely<any>
 
export type AnyTransaction = Transaction<any>

export interface AuditEntry {
  action: string
  targetType?: string
  targetId?: string
  details?: Record<string, unknown>
  /** Defaults to the caller's organisation. */
  orgId?: string | null
  /**
   * Who did it, when it is not the transaction's principal: a page without an account (a signer
   * following their link) names the person it acts for instead of `operator`.
   */
  actor?: { type: string; id: string | null; label: string | null }
}

export interface RequestMeta {
  /** The id the client sees (X-Request-Id, `error.request_id`): its own when it sent a well-formed one. */
  requestId: string
  /** Made here for every request, whatever the client sent: what audit rows and logs record. */
  serverRequestId: string
  clientIp: string
  userAgent: string | undefined
}

/** Writes an audit row; used inside the caller's transaction so the row and the change land together. */
export interface AuditWriter {
  write(db: AnyDb, principal: Principal | null, meta: RequestMeta, entry: AuditEntry): Promise<void>
}

/** An event as written to the outbox; every delivery of it carries `webhook-id: msg_<id without dashes>`. */
export interface EmittedEvent {
  id: string
  created_at: string
}

/** Appends an event to the outbox in the caller's transaction; delivery happens later. */
export interface EventOutbox {
  append(db: AnyDb, event: { orgId: string; type: string; data: unknown }): Promise<EmittedEvent>
}

/** The database work of one unit, with events and audit rows bound to the same transaction. */
export interface TransactionScope {
  db: AnyTransaction
  emit(type: string, data: unknown): Promise<EmittedEvent>
  audit(entry: AuditEntry): Promise<void>
  /** Runs `fn` once the transaction has committed (never if it rolls back): cache invalidation. */
  afterCommit(fn: () => void): void
}

export interface OperationContext extends RequestMeta {
  principal: Principal
  operation: Operation
  db: AnyDb
  dialect: 'sqlite' | 'postgres'
  publicUrl: string
  log: Logger
  services: Services
  /** The unread request body of a `rawBody` operation; undefined for every other. */
  rawBody: RawRequestBody | undefined
  /** Runs `fn` in one transaction; events it emits belong to `orgId` (default: the caller's). */
  transaction<T>(fn: (tx: TransactionScope) => Promise<T>, options?: { orgId?: string }): Promise<T>
  /** An audit row outside any transaction (for reads worth recording). */
  audit(entry: AuditEntry): Promise<void>
}
