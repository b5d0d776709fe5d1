/** The closed set of error codes Portico answers with, each bound to one HTTP status. */
export const errorStatus = {
  validation_error: 400,
  invalid_json: 400,
  missing_api_key: 401,
  invalid_api_key: 401,
  api_key_expired: 401,
  api_key_revoked: 403,
  insufficient_scope: 403,
  wrong_key_type: 403,
  organization_suspended: 403,
  ip_not_allowed: 403,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_key_reused: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  usage_exceeded: 429,
  internal_error: 500,
  upstream_unavailable: 502,
  service_unavailable: 503,
  upstream_timeout: 504,
} as const

export type ErrorCode = keyof typeof errorStatus
export const errorCodes = Object.keys(errorStatus) as ErrorCode[]

export const errorDescriptions: Record<ErrorCode, string> = {
  validation_error: 'The request did not pass validation; `fields` names each offending field.',
  invalid_json: 'The request body is not valid JSON.',
  missing_api_key: 'No API key was sent.',
  invalid_api_key: 'The API key is malformed, fails its checksum, or is unknown.',
  api_key_expired: 'The API key has expired.',
  api_key_revoked: 'The API key has been revoked.',
  insufficient_scope: 'The API key lacks the scope this operation needs; the message names it.',
  wrong_key_type: 'The wrong kind of key for this route: an organisation key on a reseller or service (/platform) route, or the reverse.',
  organization_suspended: "The key's organisation is suspended.",
  ip_not_allowed: "The request comes from an address outside the key's IP allow-list.",
  forbidden: 'The caller may not perform this action.',
  not_found: 'No such route, or no such resource in your organisation.',
  method_not_allowed: 'The route exists but not with this method; see the `Allow` header.',
  conflict: 'The request conflicts with the current state of the resource.',
  idempotency_key_reused: 'This Idempotency-Key was used with a different request body.',
  payload_too_large: 'The request body is over the size cap.',
  unsupported_media_type: 'The request body has a content type this operation does not accept.',
  rate_limited: 'Too many requests; wait `retry_after` seconds.',
  usage_exceeded: "The key has no credits left; with a refill, `retry_after` is the seconds until it (00:00 UTC, or the 1st of the month).",
  internal_error: 'Something went wrong on our side; quote the request id.',
  upstream_unavailable: 'The service behind this operation refused or dropped the connection; retry later.',
  upstream_timeout: 'The service behind this operation did not answer in time; retry later.',
  service_unavailable: 'A dependency (the database, or Redis when rate limiting fails closed) is briefly unreachable; retry after `retry_after` seconds.',
}

export interface ApiErrorOptions {
  fields?: Record<string, string>
  retryAfter?: number
  headers?: Record<string, string>
  cause?: unknown
}

export class ApiError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly fields: Record<string, string> | undefined
  readonly retryAfter: number | undefined
  readonly headers: Record<string, string> | undefined

  constructor(code: ErrorCode, message: string, options: ApiErrorOptions = {}) {
    super(message, { cause: options.cause })
    this.name = 'ApiError'
    this.code = code
    this.status = errorStatus[code]
    this.fields = options.fields
    this.retryAfter = options.retryAfter
    this.headers = options.headers
  }

  toEnvelope(requestId: string): ErrorEnvelope {
    const error: ErrorEnvelope['error'] = { code: this.code, message: this.message, request_id: requestId }
    if (this.fields) error.fields = this.fields
    if (this.retryAfter !== undefined) error.retry_after = this.retryAfter
    return { error }
  }
}

export interface ErrorEnvelope {
  error: {
    code: ErrorCode
    message: string
    fields?: Record<string, string>
    retry_after?: number
    request_id: string
  }
}

export const notFound = (what = 'Resource') => new ApiError('not_found', `${what} not found`)

/** Turns zod issues into the `fields` map of a validation_error: `recipients[0].email` → message. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out ? `.${String(part)}` : String(part)
  }
  return out || '(body)'
}
