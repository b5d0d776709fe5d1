import type { Migration } from 'kysely'
import type { Logger } from 'pino'
import type { ZodType } from 'zod'
import type { AnyDb, TransactionScope } from './context.js'
import type { Mailer } from './mail.js'
import type { Operation } from './operation.js'

export interface EventTypeSpec {
  type: string
  summary: string
  /** Schema of the event's `data`, published in the OpenAPI `webhooks` section. */
  schema: ZodType
}

export interface LimitClassSpec {
  name: string
  limit: number
  windowSeconds: number
}

/**
 * A quota a public page spends from: a named limit of the page's own per bucket (a link, a client
 * address), or a rate-limit class of an organisation, counted across all its public pages with the
 * limit that applies to it (its reseller's, else the deployer's).
 */
export type PageQuota =
  | { name: string; bucket: string; limit: number; windowSeconds: number }
  | { limitClass: string; orgId: string }

export type PageAdmission = { allowed: true } | { allowed: false; retryAfter: number; name: string }

/** What a public (unauthenticated) page handler gets: no principal, but the same database and outbox. */
export interface PageContext {
  db: AnyDb
  dialect: 'sqlite' | 'postgres'
  publicUrl: string
  log: Logger
  requestId: string
  clientIp: string
  /**
   * Spends one request from each quota with the limiter operations use, all or none: a page that
   * writes for anonymous visitors answers 429 with `Retry-After` when one is spent.
   */
  spend(quotas: PageQuota[]): Promise<PageAdmission>
  /** Portico's e-mail (PORTICO_SMTP_URL); `mail.configured` is false when there is none. */
  mail: Mailer
  /** Whether the organisation is suspended: its public pages then answer that it is unavailable. */
  isSuspended(orgId: string): Promise<boolean>
  /** One transaction on the organisation's behalf; 403 `organization_suspended` (nothing written) while it is suspended. */
  transaction<T>(orgId: string, fn: (tx: TransactionScope) => Promise<T>): Promise<T>
}

export interface PageSpec {
  method: 'get' | 'post'
  /** Absolute path with `:param` segments, e.g. `/sign/:token`. */
  path: string
  /** Parameters that are credentials (`['token']`): logs show them as `[redacted]`. */
  secretParams?: string[]
  handler: (request: Request, params: Record<string, string>, ctx: PageContext) => Promise<Response>
}

export interface ModuleRuntime {
  db: AnyDb
  dialect: 'sqlite' | 'postgres'
  log: Logger
  publicUrl: string
}

/**
 * A product mounted on Portico declares everything as one module: its operations, tables,
 * events, rate-limit classes and public pages. Portico derives routes, docs, tools and checks.
 */
export interface PorticoModule {
  name: string
  operations?: Operation[]
  /** Kysely migrations; names sort after Portico's own and start with the module name. */
  migrations?: Record<string, Migration>
  events?: EventTypeSpec[]
  limitClasses?: LimitClassSpec[]
  pages?: PageSpec[]
  /** Tags shown in the OpenAPI document, with descriptions. */
  tags?: { name: string; description: string }[]
  start?(runtime: ModuleRuntime): Promise<void> | void
  stop?(): Promise<void> | void
}

export function defineModule(module: PorticoModule): PorticoModule {
  return module
}
