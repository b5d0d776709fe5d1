/**
 * Portico's public entry point: what a product may use to declare its modules and to start
 * Portico from its own code. Anything not exported here (or from `portico/testing`) is internal
 * and may change.
 */
export { createPortico, type Portico, type CreatePorticoOptions } from './library/create-portico.js'
export type { PorticoSettings } from './core/settings.js'
export { ConfigError, type PorticoConfig } from './core/config.js'
export { runCli, type CliOptions } from './cli.js'
export { defineOperation, FileResult, StreamResult, type Operation, type OperationSpec, type HttpMethod } from './core/operation.js'
export { defineModule, type PorticoModule, type EventTypeSpec, type LimitClassSpec, type PageSpec, type PageContext, type PageQuota, type PageAdmission, type ModuleRuntime } from './core/module.js'
export type { OperationContext, TransactionScope, AuditEntry, AnyDb } from './core/context.js'
export type { Mailer, MailMessage } from './core/mail.js'
export { ApiError, notFound, type ErrorCode } from './core/errors.js'
export { z, Timestamp, Uuid, isoTimestamp } from './core/schema.js'
export { PaginationQuery, page, encodeCursor, decodeCursor, toPage, beforeCursor, type Cursor } from './core/pagination.js'
export { orgIdOf, type Principal } from './core/principal.js'
export { scopes, type Scope } from './core/scopes.js'
export type { UploadedFile } from './http/read-body.js'
export { WorkerPool, WorkerTaskError, siblingModule, type WorkerPoolOptions, type WorkerFailure } from './workers/worker-pool.js'
