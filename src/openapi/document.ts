import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi'
import type { EventTypeSpec } from '../core/module.js'
import type { Operation } from '../core/operation.js'
import { z } from '../core/schema.js'
import { scopeDescriptions } from '../core/scopes.js'
import { errorResponsesFor } from './error-responses.js'

export interface DocumentInput {
  operations: Operation[]
  events: EventTypeSpec[]
  tags: { name: string; description: string }[]
  publicUrl: string
  version: string
  keyPrefix: string
  resellerKeyPrefix: string
  limitClasses: { name: string; limit: number; windowSeconds: number }[]
}

const rateLimitHeaders = {
  RateLimit: { description: 'Remaining requests and seconds to reset, per policy: `"general";r=299;t=60`.', schema: { type: 'string' as const } },
  'RateLimit-Policy': { description: 'Quota and window, per policy: `"general";q=300;w=60`.', schema: { type: 'string' as const } },
  'Portico-Credits-Remaining': { description: 'For a key with a credit balance: what is left after this request.', schema: { type: 'integer' as const } },
  'X-Request-Id': { description: 'Echoes a well-formed client id, otherwise a new one.', schema: { type: 'string' as const } },
}

/** OpenAPI 3.1 derived from the same declarations that serve the API: it cannot drift from them. */
export function buildOpenApiDocument(input: DocumentInput): object {
  const registry = new OpenAPIRegistry()
  const scopeText = Object.entries(scopeDescriptions).map(([s, d]) => `\`${s}\`: ${d}`).join(' ')
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: `An organisation key, \`${input.keyPrefix}_…\`, as \`Authorization: Bearer <key>\` (or the bare key in \`Authorization\`). Scopes: ${scopeText}`,
  })
  registry.registerComponent('securitySchemes', 'apiKeyHeader', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'The same organisation key in the `X-API-Key` header.',
  })
  registry.registerComponent('securitySchemes', 'resellerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: `A reseller key, \`${input.resellerKeyPrefix}_…\`, for provisioning routes only.`,
  })

  for (const op of input.operations) {
    const security: Record<string, string[]>[] =
      op.audience === 'reseller'
        ? [{ resellerAuth: [] }]
        : op.audience === 'any'
          ? [{ bearerAuth: [] }, { apiKeyHeader: [] }, { resellerAuth: [] }]
          : [{ bearerAuth: [] }, { apiKeyHeader: [] }]
    const success = op.fileOutput
      ? { description: 'The file.', content: { [op.fileOutput]: { schema: { type: 'string' as const, format: 'binary' } } } }
      : { description: op.summary, headers: rateLimitHeaders, content: { 'application/json': { schema: op.output } } }
    const bodyContent: Record<string, { schema: typeof op.body }> = {}
    if (op.body) for (const type of op.bodyTypes) bodyContent[type === 'json' ? 'application/json' : 'multipart/form-data'] = { schema: op.body }
    const headers =
      op.method === 'post' && op.idempotent
        ? z.object({
            'Idempotency-Key': z.string().max(255).optional().openapi({
              description: 'Replays the first answer for the same key and body within 24 h; another body is 409 `idempotency_key_reused`.',
            }),
          })
        : undefined
    registry.registerPath({
      method: op.method,
      path: op.path,
      operationId: op.id,
      summary: op.summary,
      description: [
        op.description,
        `**Scope:** ${op.scope ? `\`${op.scope}\`` : 'any valid key'} · **Rate-limit class:** \`${op.limit}\` · **Cost:** ${op.cost} credit${op.cost === 1 ? '' : 's'}`,
      ]
        .filter(Boolean)
        .join('\n\n'),
      tags: op.tags ?? [],
      security,
      'x-scope': op.scope,
      'x-rate-limit-class': op.limit,
      'x-portico-cost': op.cost,
      ...(op.destructive ? { 'x-destructive': true } : {}),
      request: {
        ...(op.params ? { params: op.params } : {}),
        ...(op.query ? { query: op.query } : {}),
        ...(headers ? { headers } : {}),
        ...(op.body ? { body: { required: false, content: bodyContent as never } } : {}),
      },
      responses: { [String(op.status)]: success, ...errorResponsesFor(op) },
    })
  }

  for (const event of input.events) {
    registry.registerWebhook({
      method: 'post',
      path: event.type,
      summary: event.summary,
      description:
        'Delivered per the Standard Webhooks specification: headers `webhook-id`, `webhook-timestamp`, `webhook-signature` ' +
        '(`v1,<base64 HMAC-SHA256>` of `id.timestamp.body` with the endpoint secret `whsec_…`).',
      request: {
        body: {
          content: {
            'application/json': {
              schema: z.object({ type: z.literal(event.type), timestamp: z.string().openapi({ format: 'date-time' }), data: event.schema }),
            },
          },
        },
      },
      responses: { '200': { description: 'Any 2xx acknowledges the delivery; anything else is retried with back-off for up to 24 hours.' } },
    })
  }

  const generator = new OpenApiGeneratorV31(registry.definitions)
  const limits = input.limitClasses.map((c) => `\`${c.name}\` ${c.limit} per ${c.windowSeconds} s`).join(', ')
  return generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Portico API',
      version: input.version,
      description:
        'JSON in and out; timestamps ISO 8601 UTC; ids are UUIDs; responses may gain fields, so ignore unknown ones.\n\n' +
        'Every error is `{ "error": { "code", "message", "fields"?, "request_id" } }`; a resource of another organisation is `404`, never `403`.\n\n' +
        `Rate limits per key and class (${limits}); every response carries \`RateLimit\` and \`RateLimit-Policy\`, and a \`429\` carries \`Retry-After\`.\n\n` +
        'A `503` `service_unavailable` (a dependency is briefly unreachable) carries `Retry-After` too: retry after that many seconds.\n\n' +
        'Lists take `limit` and `cursor` and answer `{ data, next_cursor }`.',
    },
    servers: [{ url: `${input.publicUrl}/api/v1` }],
    tags: input.tags,
  })
}
