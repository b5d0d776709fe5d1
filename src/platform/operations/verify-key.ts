import { ApiError } from '../../core/errors.js'
import { defineOperation } from '../../core/operation.js'
import { z, Timestamp, Uuid } from '../../core/schema.js'
import { scopes } from '../../core/scopes.js'
import { verifyCodes } from '../../runtime/verify-key.js'
import '../services.js'

export const verifyKey = defineOperation({
  id: 'platform.verify_key',
  method: 'post',
  path: '/platform/verify',
  tags: ['Service keys'],
  summary: 'Verify an API key for a request served elsewhere',
  description:
    "With a service key: may `key` make a request needing `scope`, counted in the rate-limit class `limit` (default `general`)? " +
    'The same checks an API request passes, in the same order, and a `valid` answer spends what that request would (its rate limits and credits) ' +
    'and records its use. Answers **200 for every outcome**: `valid` and a `code` (`valid`, `invalid_api_key`, `api_key_expired`, `api_key_revoked`, ' +
    '`insufficient_scope`, `rate_limited`, `usage_exceeded`, `organization_suspended`, `ip_not_allowed`); `key` is null for an unknown key.',
  audience: 'service',
  scope: 'read',
  limit: 'platform',
  idempotent: false,
  status: 200,
  body: z.object({
    key: z.string().max(1024).openapi({ description: 'The API key the product was given, exactly as sent.', example: 'ptk_4fT9kQ2x…' }),
    scope: z.enum(scopes).optional().openapi({ description: 'The scope the request needs; none: any valid key.' }),
    limit: z.string().max(64).optional().openapi({ description: 'The rate-limit class to count the request in, beside `general`; default `general` alone.' }),
    cost: z.number().int().min(0).max(1_000_000).default(1).openapi({ description: 'Credits the request costs (default 1).' }),
    ip: z.union([z.ipv4(), z.ipv6()]).optional().openapi({ description: "The client's address, for keys with an IP allow-list." }),
  }),
  output: z
    .object({
      valid: z.boolean(),
      code: z.enum(verifyCodes),
      key: z
        .object({
          id: Uuid,
          prefix: z.string(),
          name: z.string(),
          org_id: Uuid,
          org_external_id: z.string().nullable(),
          scopes: z.array(z.enum(scopes)),
          meta: z.record(z.string(), z.unknown()),
          expires_at: Timestamp.nullable(),
        })
        .nullable(),
      ratelimits: z.array(z.object({ name: z.string(), limit: z.number().int(), remaining: z.number().int(), reset_seconds: z.number().int() })),
      credits: z.object({ remaining: z.number().int() }).nullable(),
    })
    .openapi('Verification'),
  handler: async (input, ctx) => {
    const classes = ctx.services.verification.limitClasses()
    if (input.limit !== undefined && !classes.includes(input.limit)) {
      throw new ApiError('validation_error', `limit is not a rate-limit class (${classes.join(', ')})`, { fields: { limit: `is not a rate-limit class (${classes.join(', ')})` } })
    }
    const meta = { requestId: ctx.requestId, serverRequestId: ctx.serverRequestId, clientIp: ctx.clientIp, userAgent: ctx.userAgent }
    return ctx.services.verification.verify(input, { meta, serviceKeyId: ctx.principal.kind === 'user' ? ctx.principal.userId : ctx.principal.keyId, at: Date.now() })
  },
})
