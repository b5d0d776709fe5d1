import type { Logger } from 'pino'
import type { Authenticated } from '../auth/authenticate.js'
import type { AnyDb, AuditEntry, AuditWriter, EventOutbox, OperationContext, RequestMeta, Services, TransactionScope } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import { FileResult, type Operation } from '../core/operation.js'
import { audienceOf, type Principal } from '../core/principal.js'
import { runInTransaction } from '../core/transaction.js'
import { parseRateLimits, type RateLimitOverride } from '../keys/key-store.js'
import type { RateLimitDecision, RateLimiter, RateLimitRequest } from '../ratelimit/limiter.js'
import type { LimitPolicies } from '../ratelimit/policies.js'
import { rateLimitPolicyHeader, rateLimitStateHeader } from '../ratelimit/headers.js'
import { validateInput, type RawInput } from './validate-input.js'

export interface ExecutorDeps {
  db: AnyDb
  dialect: 'sqlite' | 'postgres'
  publicUrl: string
  log: Logger
  services: Services
  outbox: EventOutbox
  auditWriter: AuditWriter
  limiter: RateLimiter
  policies: LimitPolicies
}

/** The caller of one request: who, and the rate-limit overrides that apply to them. */
export interface Caller {
  principal: Principal
  /** Rate-limit bucket: the key id, or the user id for dashboard sessions. */
  bucket: string
  keyLimits: Record<string, RateLimitOverride>
  orgLimits: Record<string, RateLimitOverride>
  /** What to count for each operation class, resolved on first use and kept with the cached key row. */
  plans: Map<string, AdmissionPlan>
}

interface AdmissionPlan {
  requests: RateLimitRequest[]
  policyHeader: string
}

const callers = new WeakMap<Authenticated['key'], Caller>()

/** Built once per cached key row: a cache hit parses no JSON. */
export function callerFromKey(auth: Authenticated): Caller {
  let caller = callers.get(auth.key)
  if (!caller) {
    caller = {
      principal: auth.principal,
      bucket: auth.key.id,
      keyLimits: parseRateLimits(auth.key.rate_limits),
      orgLimits: parseRateLimits(auth.key.org_rate_limits),
      plans: new Map(),
    }
    callers.set(auth.key, caller)
  }
  return caller
}

export interface Admission {
  decisions: RateLimitDecision[]
  headers: { 'RateLimit-Policy': string; RateLimit: string }
}

export type ExecutionResult = { status: number; body: unknown } | { status: number; file: FileResult }

function admission(policyHeader: string, decisions: RateLimitDecision[]): Admission {
  const headers = { 'RateLimit-Policy': policyHeader, RateLimit: rateLimitStateHeader(decisions) }
  let denied: RateLimitDecision | undefined
  let retryAfter = 0
  for (const d of decisions) {
    if (d.allowed) continue
    denied ??= d
    retryAfter = Math.max(retryAfter, d.resetSeconds)
  }
  if (denied) throw new ApiError('rate_limited', `Rate limit "${denied.policy.name}" exceeded; retry in ${retryAfter} s`, { retryAfter, headers })
  return { decisions, headers }
}

/**
 * The doorway-independent part of calling an operation: who may, how often, with what input, and
 * the handler itself. REST and MCP both go through here, so their rules cannot drift apart.
 */
export class OperationExecutor {
  constructor(readonly deps: ExecutorDeps) {}

  /** Audience and scope, in that order: a wrong kind of key learns nothing about scopes. */
  authorize(op: Operation, principal: Principal): void {
    if (op.audience !== 'any' && audienceOf(principal) !== op.audience) {
      throw new ApiError(
        'wrong_key_type',
        op.audience === 'reseller' ? 'This operation needs a reseller key' : 'Reseller keys cannot call organisation operations',
      )
    }
    if (op.scope !== null && !principal.scopes.includes(op.scope)) {
      throw new ApiError('insufficient_scope', `This operation needs the "${op.scope}" scope`)
    }
    // Keys of a suspended organisation never get this far (authentication refuses them); its
    // dashboard users may still look, but write nothing.
    if (principal.kind === 'user' && principal.orgStatus === 'suspended' && op.method !== 'get') {
      throw new ApiError('organization_suspended', 'The organisation is suspended: nothing can be changed until it is resumed')
    }
  }

  isCallable(op: Operation, principal: Principal): boolean {
    return (op.audience === 'any' || audienceOf(principal) === op.audience) && (op.scope === null || principal.scopes.includes(op.scope))
  }

  /**
   * Spends one request from every class the operation belongs to (or none); 429 when any is
   * exhausted. Synchronous with the in-process limiter, so the common request awaits nothing here.
   */
  admit(op: Operation, caller: Caller, at = Date.now()): Admission | Promise<Admission> {
    let plan = caller.plans.get(op.limit)
    if (!plan) {
      plan = this.#plan(op.limit, caller)
      caller.plans.set(op.limit, plan)
    }
    const decided = this.deps.limiter.consume(plan.requests, at)
    const policyHeader = plan.policyHeader
    return decided instanceof Promise ? decided.then((decisions) => admission(policyHeader, decisions)) : admission(policyHeader, decided)
  }

  /** `general` for every operation, plus the operation's own class. */
  #plan(limit: string, caller: Caller): AdmissionPlan {
    const { policies } = this.deps
    const requests = [{ bucket: `${caller.bucket}:general`, policy: policies.resolve('general', caller.orgLimits, caller.keyLimits) }]
    if (limit !== 'general') {
      requests.push({ bucket: `${caller.bucket}:${limit}`, policy: policies.resolve(limit, caller.orgLimits, caller.keyLimits) })
    }
    return { requests, policyHeader: rateLimitPolicyHeader(requests.map((r) => r.policy)) }
  }

  context(op: Operation, principal: Principal, meta: RequestMeta): OperationContext {
    return new HandlerContext(this.deps, op, principal, meta)
  }

  /** Validates input, runs the handler and shapes its answer by the declared output schema. */
  async run(op: Operation, principal: Principal, raw: RawInput, meta: RequestMeta): Promise<ExecutionResult> {
    const input = validateInput(op, raw)
    const result = await op.handler(input as never, this.context(op, principal, meta))
    if (result instanceof FileResult) return { status: op.status, file: result }
    const parsed = op.output.safeParse(result)
    if (!parsed.success) {
      this.deps.log.error({ op: op.id, issues: parsed.error.issues }, 'handler answer does not match its output schema')
      throw new ApiError('internal_error', 'Internal server error')
    }
    return { status: op.status, body: parsed.data }
  }
}

/**
 * A handler's context. A class rather than an object literal with arrow functions: it is built on
 * every request, and methods on the prototype cost nothing per request.
 */
class HandlerContext implements OperationContext {
  readonly requestId: string
  readonly serverRequestId: string
  readonly clientIp: string
  readonly userAgent: string | undefined
  readonly db: ExecutorDeps['db']
  readonly dialect: ExecutorDeps['dialect']
  readonly publicUrl: string
  readonly log: Logger
  readonly services: Services
  readonly #deps: ExecutorDeps
  readonly #meta: RequestMeta

  constructor(
    deps: ExecutorDeps,
    readonly operation: Operation,
    readonly principal: Principal,
    meta: RequestMeta,
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
    return this.principal.kind === 'reseller_key' ? null : this.principal.orgId
  }

  transaction<T>(fn: (tx: TransactionScope) => Promise<T>, options?: { orgId?: string }): Promise<T> {
    const { db, outbox, auditWriter } = this.#deps
    return runInTransaction({ db, outbox, auditWriter }, this.principal, this.#meta, options?.orgId ?? this.#defaultOrg, fn)
  }

  audit(entry: AuditEntry): Promise<void> {
    return this.#deps.auditWriter.write(this.#deps.db, this.principal, this.#meta, { orgId: this.#defaultOrg, ...entry })
  }
}
