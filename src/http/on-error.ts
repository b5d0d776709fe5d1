import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { Logger } from 'pino'
import { ApiError } from '../core/errors.js'
import type { HttpEnv } from './env.js'
import { errorReply, headerRecord } from './rest-reply.js'

export function errorResponse(c: Context<HttpEnv>, error: ApiError): Response {
  const reply = errorReply(error, c.get('requestId') ?? 'unknown')
  return c.body(reply.body as string, reply.status as 400, headerRecord(reply.headers))
}

/** What an unexpected failure leaves in the log: the error in full, with the request's ids (never in the answer). */
export interface UnhandledContext {
  req_id: string | undefined
  correlation_id: string | undefined
  method: string
  path: string
}

export function logUnhandled(log: Logger, error: unknown, at: UnhandledContext): void {
  log.error({ err: error, ...at }, 'unhandled error')
}

export const INTERNAL_ERROR = () => new ApiError('internal_error', 'Internal server error')

/** The known error, then Hono's HTTPException, then anything else: logged in full, answered as 500 without details. */
export function onError(log: Logger) {
  return function handleError(error: Error, c: Context<HttpEnv>): Response {
    if (error instanceof ApiError) return errorResponse(c, error)
    if (error instanceof HTTPException) {
      const status = error.status
      const code = status === 413 ? 'payload_too_large' : status === 404 ? 'not_found' : status === 401 ? 'missing_api_key' : 'validation_error'
      return errorResponse(c, new ApiError(code, error.message || 'Bad request'))
    }
    logUnhandled(log, error, { req_id: c.get('serverRequestId'), correlation_id: c.get('correlationId'), method: c.req.method, path: c.get('logPath') ?? c.req.path })
    return errorResponse(c, INTERNAL_ERROR())
  }
}
