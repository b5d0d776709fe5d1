import type { Logger } from 'pino'
import type { AnyDb, AuditEntry, AuditWriter, EventOutbox, OperationContext, RequestMeta, Services, TransactionScope } from '../core/context.js'
import type { Operation, RawRequestBody } from '../core/operation.js'
import { ownOrgIdOf, type Principal } from '../core/principal.js'
import { runInTransaction } from '../core/transaction.js'

export interface HandlerDeps {
  db: AnyDb
  dialect: 'sqlite' | 'postgres'
  readonly publicUrl: string
  log: Logger
  services: Services
  outbox: EventOutbox
  auditWriter: AuditWriter
}

/**
 * A handler's context. A class rather than an object literal with arrow functions: it is built on
 * every request, and methods on the prototype cost nothing per request.
 */
export class HandlerContext implements OperationContext {
  readonly requestId: string
  readonly serverRequestId: string
  readonly clientIp: string
  readonly userAgent: string | undefined
  readonly db: HandlerDeps['db']
  readonly dialect: HandlerDeps['dialect']
  readonly publicUrl: string
  readonly log: Logger
  readonly services: Services
  readonly #deps: HandlerDeps
  readonly #meta: RequestMeta

  constructor(
    deps: HandlerDeps,
    readonly operation: Operation,
    readonly principal: Principal,
    meta: RequestMeta,
    readonly rawBody: RawRequestBody | undefined,
  ) {
    this.#deps = deps
    this.#meta = meta
    this.requestId = meta.requestId
    this.serverRequestId = meta.serverRequestId
    this.clientIp = meta.clientIp
    this.userAgent = meta.userAgent
    this.db = deps.db
    this.dialect = deps.dialect
    this.publicUrl = deps.publicUrl
    this.log = deps.log
    this.services = deps.services
  }

  get #defaultOrg(): string | null {
    return ownOrgIdOf(this.principal)
  }

  transaction<T>(fn: (tx: TransactionScope) => Promise<T>, options?: { orgId?: string }): Promise<T> {
    const { db, outbox, auditWriter } = this.#deps
    return runInTransaction({ db, outbox, auditWriter }, this.principal, this.#meta, options?.orgId ?? this.#defaultOrg, fn)
  }

  audit(entry: AuditEntry): Promise<void> {
    return this.#deps.auditWriter.write(this.#deps.db, this.principal, this.#meta, { orgId: this.#defaultOrg, ...entry })
  }
}
