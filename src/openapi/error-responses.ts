import { errorCodes, errorDescriptions, errorStatus, type ErrorCode } from '../core/errors.js'
import type { Operation } from '../core/operation.js'
import { z } from '../core/schema.js'

export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(errorCodes as [ErrorCode, ...ErrorCode[]]).openapi({
        description: 'Stable, machine-readable code:\n' + errorCodes.map((c) => `- \`${c}\` (${errorStatus[c]}): ${errorDescriptions[c]}`).join('\n'),
      }),
      message: z.string().openapi({ description: 'Human-readable; may change. Switch on `code`.' }),
      fields: z.record(z.string(), z.string()).optional().openapi({ description: 'For `validation_error`: field path → problem.', example: { 'recipients[0].email': 'is required' } }),
      retry_after: z.number().int().optional().openapi({ description: 'For `rate_limited`, `usage_exceeded` (when the key is refilled) and `service_unavailable`: seconds to wait, as in the `Retry-After` header.' }),
      request_id: z.string().openapi({ description: 'Equal to the `X-Request-Id` response header.', example: 'req_5f2c0d9e8a7b4c3d' }),
    }),
  })
  .openapi('Error')

/** The codes an operation can answer, derived from its declaration: auth, validation, limits and its own. */
export function errorCodesFor(op: Operation): ErrorCode[] {
  const codes = new Set<ErrorCode>([
    'missing_api_key',
    'invalid_api_key',
    'api_key_expired',
    'api_key_revoked',
    'wrong_key_type',
    'organization_suspended',
    'rate_limited',
    // A key's own rules, on every operation: its IP allow-list and its credits.
    'ip_not_allowed',
    'usage_exceeded',
    'internal_error',
    // Any operation that needs the database (or, fail-closed, Redis) while it is unreachable.
    'service_unavailable',
  ])
  if (op.scope !== null) codes.add('insufficient_scope')
  if (op.params || op.query || op.body) codes.add('validation_error')
  if (op.params) codes.add('not_found')
  if (op.body) {
    codes.add('invalid_json').add('payload_too_large').add('unsupported_media_type')
  }
  if (op.method === 'post' && op.idempotent) codes.add('idempotency_key_reused').add('conflict')
  for (const code of op.errors ?? []) codes.add(code)
  return [...codes]
}

export function errorResponsesFor(op: Operation) {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of errorCodesFor(op)) {
    const status = errorStatus[code]
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  const responses: Record<string, { description: string; content: { 'application/json': { schema: typeof ErrorEnvelopeSchema } } }> = {}
  for (const [status, codes] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    responses[String(status)] = {
      description: codes.map((c) => `\`${c}\`: ${errorDescriptions[c]}`).join(' · '),
      content: { 'application/json': { schema: ErrorEnvelopeSchema } },
    }
  }
  return responses
}
