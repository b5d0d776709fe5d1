import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { Logger } from 'pino'
import { ApiError } from '../core/errors.js'
import type { HttpEnv } from './env.js'

export function errorResponse(c: Context<HttpEnv>, error: ApiError): Response {
  const requestId = c.get('requestId') ?? 'unknown'
  const headers: Record<string, string> = { 'Cache-Control': 'no-store', ...error.headers }
  if (error.retryAfter !== undefined) headers['Retry-After'] = String(error.retryAfter)
  return c.json(error.toEnvelope(requestId), error.status as 400, headers)
}

/** The known error, then Hono's HTTPException, then anything else: logged in full, answered as 500 without details. */
export function onError(log: Logger) {
  return function handleError(error: Error, c: Context<HttpEnv>): Response {
    if (error instanceof ApiError) return errorResponse(c, error)
    if (error instanceof HTTPException) {
      const status = error.status
      const code = status === 413 ? 'payload_too_large' : status === 404 ? 'not_found' : status === 401 ? 'missing_api_key' : 'validation_error'
      return errorResponse(c, new ApiError(code, error.message || 'Bad request'))
    }
    log.error({ err: error, req_id: c.get('serverRequestId'), correlation_id: c.get('correlationId'), method: c.req.method, path: c.get('logPath') ?? c.req.path }, 'unhandled error')
    return errorResponse(c, new ApiError('internal_error', 'Internal server error'))
  }
}
