import { getOpenApiMetadata, OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi'
import type { ZodObject, ZodType } from 'zod'
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
  serviceKeyPrefix: string
  limitClasses: { name: string; limit: number; windowSeconds: number }[]
}

const rateLimitHeaders = {
  RateLimit: { description: 'Remaining requests and seconds to reset, per policy: `"general";r=299;t=60`.', schema: { type: 'string' as const } },
  'RateLimit-Policy': { description: 'Quota and window, per policy: `"general";q=300;w=60`.', schema: { type: 'string' as const } },
  'Portico-Credits-Remaining': { description: 'For a key with a credit balance: what is left after this request.', schema: { type: 'integer' as const } },
  'X-Request-Id': { description: 'Echoes a well-formed client id, otherwise a new one.', schema: { type: 'string' as const } },
}

/** The component every event-type name refers to (`EventsField`): its `enum` is filled in from the declared events. */
export const EVENT_TYPE_COMPONENT = 'EventType'
/** The component of an event as `GET /events` lists it: a `oneOf` on `type`, one variant per declared event. */
export const EVENT_COMPONENT = 'Event'

const mediaTypes = { json: 'application/json', multipart: 'multipart/form-data' } as const

/** `document.completed` → `DocumentCompletedEvent`. */
const eventComponentName = (type: string) => `${type.replace(/(^|[._-])([a-z0-9])/g, (_, _sep: string, ch: string) => ch.toUpperCase())}Event`

const unwrapOptional = (schema: ZodType): ZodType => ((schema as { def?: { type?: string } }).def?.type === 'optional' ? (schema as unknown as { unwrap(): ZodType }).unwrap() : schema)

/**
 * The request body of each encoding an operation accepts. With `exactlyOneOf`, one variant per
 * alternative, that one required and the others absent; a file upload (`format: binary`) is an
 * alternative only in multipart, since JSON cannot carry one.
 */
function bodyContent(op: Operation): Record<string, { schema: ZodType }> {
  const content: Record<string, { schema: ZodType }> = {}
  if (!op.body) return content
  const body = op.body as ZodObject
  for (const type of op.bodyTypes) {
    const alternatives = (op.exactlyOneOf ?? []).filter((name) => type === 'multipart' || getOpenApiMetadata(body.shape[name] as never)?.format !== 'binary')
    if (alternatives.length === 0) {
      content[mediaTypes[type]] = { schema: body }
      continue
    }
    const variants = alternatives.map((alt) => {
      const others = Object.fromEntries((op.exactlyOneOf ?? []).filter((name) => name !== alt).map((name) => [name, true as const]))
      return body.omit(others as never).extend({ [alt]: unwrapOptional(body.shape[alt] as ZodType) })
    })
    content[mediaTypes[type]] = { schema: variants.length === 1 ? variants[0]! : z.union(variants as [ZodObject, ZodObject, ...ZodObject[]]) }
  }
  return content
}

/** A body is required when an empty one would not validate (a field is required, or alternatives must be chosen). */
const bodyRequired = (op: Operation) => Boolean(op.body) && ((op.exactlyOneOf?.length ?? 0) > 0 || !op.body!.safeParse({}).success)

function idempotencyHeader(op: Operation) {
  return op.method === 'post' && op.idempotent
    ? z.object({
        'Idempotency-Key': z.string().max(255).optional().openapi({
          description: 'Replays the first answer for the same key and body within 24 h; another body is 409 `idempotency_key_reused`.',
        }),
      })
    : undefined
}

function describeOperation(op: Operation): string {
  return [
    op.description,
    `**Scope:** ${op.scope ? `\`${op.scope}\`` : 'any valid key'} · **Rate-limit class:** \`${op.limit}\` · **Cost:** ${op.cost} credit${op.cost === 1 ? '' : 's'}`,
  ]
    .filter(Boolean)
    .join('\n\n')
}

/** What every path entry says of its operation, however its schemas are declared. */
function describedOperation(op: Operation, security: Record<string, string[]>[]) {
  return {
    operationId: op.id,
    summary: op.summary,
    description: describeOperation(op),
    tags: op.tags ?? [],
    security,
    'x-scope': op.scope,
    'x-rate-limit-class': op.limit,
    'x-portico-cost': op.cost,
    ...(op.destructive ? { 'x-destructive': true } : {}),
  }
}

/**
 * An operation declared in JSON Schema (an upstream's): its parameters, body and answers are
 * published as the upstreams file or the upstream's own document states them.
 */
function registerJsonSchemaPath(
  registry: OpenAPIRegistry,
  op: Operation,
  security: Record<string, string[]>[],
  headers: ReturnType<typeof idempotencyHeader>,
): void {
  const declared = op.jsonSchema!
  const parameters: { name: string; in: 'path' | 'query'; required: boolean; description?: string; schema: object }[] = []
  for (const [name, schema] of Object.entries(declared.params ?? {})) {
    const { description, ...rest } = schema as { description?: string }
    parameters.push({ name, in: 'path', required: true, ...(description ? { description } : {}), schema: rest })
  }
  const query = declared.query as { properties?: Record<string, { description?: string }>; required?: string[] } | undefined
  for (const [name, schema] of Object.entries(query?.properties ?? {})) {
    const { description, ...rest } = schema
    parameters.push({ name, in: 'query', required: query?.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest })
  }
  const documented = declared.responses && Object.keys(declared.responses).length > 0
  const answers: Record<string, { description: string; headers?: typeof rateLimitHeaders; content?: Record<string, { schema?: object }> }> = {}
  for (const [status, answer] of Object.entries(documented ? declared.responses! : { '200': { description: "The upstream's answer, passed through unchanged." } })) {
    answers[status] = { ...answer, headers: rateLimitHeaders }
  }
  registry.registerPath({
    method: op.method,
    path: op.path,
    ...describedOperation(op, security),
    parameters: parameters as never,
    request: {
      ...(headers ? { headers } : {}),
      ...(declared.body ? { body: { required: true, content: { 'application/json': { schema: declared.body as never } } } } : {}),
    },
    responses: { ...answers, ...errorResponsesFor(op) } as never,
  })
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

  registry.registerComponent('securitySchemes', 'serviceAuth', {
    type: 'http',
    scheme: 'bearer',
    description: `A service key, \`${input.serviceKeyPrefix}_…\`, the deployment's own (\`portico service-key create\`), for /platform routes only.`,
  })

  for (const op of input.operations) {
    const security: Record<string, string[]>[] =
      op.audience === 'reseller'
        ? [{ resellerAuth: [] }]
        : op.audience === 'service'
          ? [{ serviceAuth: [] }]
          : op.audience === 'any'
            ? [{ bearerAuth: [] }, { apiKeyHeader: [] }, { resellerAuth: [] }, { serviceAuth: [] }]
            : [{ bearerAuth: [] }, { apiKeyHeader: [] }]
    const headers = idempotencyHeader(op)
    if (op.jsonSchema) {
      registerJsonSchemaPath(registry, op, security, headers)
      continue
    }
    const success = op.fileOutput
      ? { description: 'The file.', content: { [op.fileOutput]: { schema: { type: 'string' as const, format: 'binary' } } } }
      : { description: op.summary, headers: rateLimitHeaders, content: { 'application/json': { schema: op.output } } }
    registry.registerPath({
      method: op.method,
      path: op.path,
      ...describedOperation(op, security),
      request: {
        ...(op.params ? { params: op.params } : {}),
        ...(op.query ? { query: op.query } : {}),
        ...(headers ? { headers } : {}),
        ...(op.body ? { body: { required: bodyRequired(op), content: bodyContent(op) as never } } : {}),
      },
      responses: { [String(op.status)]: success, ...errorResponsesFor(op) },
    })
  }

  for (const event of input.events) {
    registry.register(
      eventComponentName(event.type),
      z.object({ id: z.uuid(), object: z.literal('event'), type: z.literal(event.type), timestamp: z.string().openapi({ format: 'date-time' }), data: event.schema }),
    )
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
  const document = generator.generateDocument({
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
  return withDeclaredEvents(withOneOfBodies(document, input.operations), input.events)
}

type Document = ReturnType<OpenApiGeneratorV31['generateDocument']>

/** Alternatives are exclusive: the union a body of alternatives becomes is a `oneOf`, not an `anyOf`. */
function withOneOfBodies(document: Document, operations: Operation[]): Document {
  for (const op of operations) {
    if (!op.exactlyOneOf?.length) continue
    const content = (document.paths?.[op.path]?.[op.method]?.requestBody as { content?: Record<string, { schema?: Record<string, unknown> }> } | undefined)?.content ?? {}
    for (const media of Object.values(content)) {
      if (media.schema?.anyOf) {
        media.schema = { oneOf: media.schema.anyOf }
      }
    }
  }
  return document
}

/**
 * Event-type names as an `enum` of the declared events (and `*`, every event), and an event as a
 * discriminated union on `type` whose `data` is that event's schema.
 */
function withDeclaredEvents(document: Document, events: EventTypeSpec[]): Document {
  const schemas = (document.components ??= {}).schemas ?? (document.components.schemas = {})
  if (schemas[EVENT_TYPE_COMPONENT]) {
    schemas[EVENT_TYPE_COMPONENT] = {
      ...(schemas[EVENT_TYPE_COMPONENT] as object),
      type: 'string',
      enum: ['*', ...events.map((e) => e.type)],
      description: 'An event type (see `GET /webhooks/event-types`), or `*` for every event.',
    }
  }
  if (schemas[EVENT_COMPONENT] && events.length > 0) {
    const mapping = Object.fromEntries(events.map((e) => [e.type, `#/components/schemas/${eventComponentName(e.type)}`]))
    schemas[EVENT_COMPONENT] = {
      description: 'An event; `data` is the schema of its `type`.',
      oneOf: Object.values(mapping).map(($ref) => ({ $ref })),
      discriminator: { propertyName: 'type', mapping },
    }
  }
  return document
}
