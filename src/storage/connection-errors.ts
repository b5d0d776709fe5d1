import { ApiError } from '../core/errors.js'

/** Seconds a client is told to wait before retrying while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 2

/** Socket errors: the server refused, dropped, or cannot be reached. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED'])

/**
 * PostgreSQL SQLSTATEs that mean "not now" rather than "wrong request": the server is shutting
 * down or starting up (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now),
 * out of connection slots (53300), or any connection exception (class 08).
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300'])

/** What `pg` says when a connection is lost or never made, without a code. */
const MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
]

/**
 * True when `error` says the database could not be reached or dropped the connection, so the
 * request failed through no fault of its own and may be retried. The one place that decides it.
 */
export function isConnectionError(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 4) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true
  if (MESSAGES.some((m) => error.message.includes(m))) return true
  // Node reports a refused connection to every address of a name as an AggregateError.
  if (error instanceof AggregateError && error.errors.some((e) => isConnectionError(e, depth + 1))) return true
  return isConnectionError(error.cause, depth + 1)
}

/** The answer to a request that needed the database while it was unreachable. */
export function databaseUnavailable(cause: unknown): ApiError {
  return new ApiError('service_unavailable', 'The database is unavailable; retry shortly', { retryAfter: DATABASE_RETRY_AFTER_SECONDS, cause })
}

/** `error` as the request's answer: a connection error becomes 503 service_unavailable, anything else is left as it is. */
export function asUnavailable(error: unknown): unknown {
  return error instanceof ApiError || !isConnectionError(error) ? error : databaseUnavailable(error)
}
