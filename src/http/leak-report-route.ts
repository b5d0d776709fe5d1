import type { Context, Hono } from 'hono'
import { ApiError } from '../core/errors.js'
import type { LeakReports, ScanningKeys } from '../keys/leak-reports.js'
import { LeakReportBody } from '../keys/leak-reports.js'
import type { RateLimiter, RateLimitPolicy } from '../ratelimit/limiter.js'
import { toValidationError } from '../runtime/validate-input.js'
import type { HttpEnv } from './env.js'
import { API_BASE } from './mount-operations.js'
import { errorResponse } from './on-error.js'
import { honoBody, JSON_LIMIT, readCapped } from './read-body.js'
import { requestHeader } from './request-header.js'

export const LEAK_REPORT_PATH = `${API_BASE}/platform/leaked-keys`

export interface LeakReportDeps {
  /** Absent while PORTICO_LEAK_REPORT_KEYS is unset: the route answers 404. */
  reports?: { keys: ScanningKeys; service: LeakReports } | undefined
  limiter: RateLimiter
  /** Badly signed reports per client address per minute before 429 (PORTICO_AUTH_FAILURES_PER_MINUTE). */
  failuresPerMinute: number
}

/**
 * `POST /api/v1/platform/leaked-keys`: secret-scanning reports in GitHub's partner format. Not an
 * API-key operation: the scanner's ECDSA signature over the raw body is its authentication. It
 * answers in the error envelope, with the JSON body cap, like every operation; a badly signed
 * report is 403 `forbidden`, counted against the client address like a failed authentication,
 * and changes nothing.
 */
export function leakReportRoutes(deps: LeakReportDeps) {
  const policy: RateLimitPolicy = { name: 'auth_failures', limit: deps.failuresPerMinute, windowSeconds: 60 }

  const refuse = async (c: Context<HttpEnv>, message: string): Promise<never> => {
    const [decision] = await deps.limiter.consume([{ bucket: `leakfail:${c.get('clientIp')}`, policy }])
    if (decision && !decision.allowed) {
      throw new ApiError('rate_limited', `Too many badly signed reports from this address; retry in ${decision.resetSeconds} s`, { retryAfter: decision.resetSeconds })
    }
    throw new ApiError('forbidden', message)
  }

  async function handle(c: Context<HttpEnv>): Promise<Response> {
    const reports = deps.reports
    if (!reports) throw new ApiError('not_found', 'Leak reports are not accepted here: the deployment has not set PORTICO_LEAK_REPORT_KEYS')
    const mediaType = (requestHeader(c, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    if (mediaType !== '' && mediaType !== 'application/json') throw new ApiError('unsupported_media_type', `Content-Type ${mediaType} is not accepted here; send application/json`)
    const raw = await readCapped(honoBody(c), JSON_LIMIT)
    const identifier = requestHeader(c, 'github-public-key-identifier')
    const signature = requestHeader(c, 'github-public-key-signature')
    if (!identifier || !signature) return refuse(c, 'A leak report must carry Github-Public-Key-Identifier and Github-Public-Key-Signature')
    if (!reports.keys.verify(identifier, signature, raw)) return refuse(c, 'The report signature does not verify against the configured public keys')
    let body: unknown
    try {
      body = JSON.parse(Buffer.from(raw).toString('utf8'))
    } catch {
      throw new ApiError('invalid_json', 'The request body is not valid JSON')
    }
    const parsed = LeakReportBody.safeParse(body)
    if (!parsed.success) throw toValidationError(parsed.error, body)
    const meta = { requestId: c.get('requestId'), serverRequestId: c.get('serverRequestId'), clientIp: c.get('clientIp'), userAgent: requestHeader(c, 'user-agent') }
    const labels = await reports.service.report(parsed.data, meta)
    return c.json(labels, 200, { 'Cache-Control': 'no-store' })
  }

  return (app: Hono<HttpEnv>): void => {
    app.post(LEAK_REPORT_PATH, async (c) => {
      try {
        return await handle(c)
      } catch (error) {
        if (error instanceof ApiError) return errorResponse(c, error)
        throw error
      }
    })
  }
}
