import { getOpenApiMetadata } from '@asteasolutions/zod-to-openapi'
import { z, type ZodType } from 'zod'
import type { Operation } from '../core/operation.js'
import type { RawInput } from '../runtime/validate-input.js'

const cache = new WeakMap<Operation, Record<string, unknown>>()

/**
 * Path, query and body parameters merged into one object, as JSON Schema; built once per operation.
 * Descriptions and formats written with `.openapi()` for the reference carry over, so an assistant
 * reads what a developer reads. A field only multipart can carry (`format: binary`, a file part) is
 * left out: MCP arguments are JSON, so such an operation takes its JSON alternative (`file_base64`).
 */
export function toolInputSchema(op: Operation): Record<string, unknown> {
  let schema = cache.get(op)
  if (!schema && op.jsonSchema) {
    schema = jsonSchemaInput(op)
    cache.set(op, schema)
  }
  if (!schema) {
    const shape = { ...op.params?.shape, ...op.query?.shape, ...op.body?.shape }
    const json = z.toJSONSchema(z.object(shape), {
      io: 'input',
      unrepresentable: 'any',
      override: ({ zodSchema, jsonSchema }) => {
        const meta = getOpenApiMetadata(zodSchema as unknown as ZodType) as { description?: string; format?: string; example?: unknown }
        if (meta.description && jsonSchema.description === undefined) jsonSchema.description = meta.description
        if (meta.format && jsonSchema.format === undefined) jsonSchema.format = meta.format
      },
    }) as { properties?: Record<string, Record<string, unknown> & { format?: string }>; required?: string[]; $schema?: string }
    delete json.$schema
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      if (property.format !== 'binary') continue
      delete json.properties![name]
      json.required = json.required?.filter((r) => r !== name)
      if (json.required?.length === 0) delete json.required
    }
    if (takesIdempotencyKey(op)) {
      json.properties = {
        ...json.properties,
        [IDEMPOTENCY_ARGUMENT]: IDEMPOTENCY_PROPERTY,
      }
    }
    schema = json
    cache.set(op, schema)
  }
  return schema
}

const outputCache = new WeakMap<Operation, Record<string, unknown> | null>()

/**
 * The JSON Schema of what a call answers in `structuredContent`, from the operation's output; none
 * for a file answer or an output that is not an object (those travel as content only).
 */
export function toolOutputSchema(op: Operation): Record<string, unknown> | undefined {
  let schema = outputCache.get(op)
  if (schema === undefined) {
    schema = null
    if (!op.fileOutput) {
      const json = z.toJSONSchema(op.output, {
        io: 'output',
        unrepresentable: 'any',
        override: ({ zodSchema, jsonSchema }) => {
          const meta = getOpenApiMetadata(zodSchema as unknown as ZodType) as { description?: string }
          if (meta.description && jsonSchema.description === undefined) jsonSchema.description = meta.description
        },
      }) as Record<string, unknown>
      delete json.$schema
      if (json.type === 'object') schema = json
    }
    outputCache.set(op, schema)
  }
  return schema ?? undefined
}


/** The tool argument that carries what REST sends as the `Idempotency-Key` header. */
export const IDEMPOTENCY_ARGUMENT = 'idempotency_key'

const IDEMPOTENCY_PROPERTY = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  description: 'Optional, as REST\'s Idempotency-Key header: a call repeated with the same key and arguments within 24 h answers the first call\'s result (secrets shown once are null in it) instead of running again.',
}

function takesIdempotencyKey(op: Operation): boolean {
  return op.method === 'post' && op.idempotent
}

/** The `idempotency_key` argument of a tool call, as text (a non-string is refused by its format check). */
export function idempotencyKeyOf(op: Operation, args: Record<string, unknown>): string | undefined {
  if (!takesIdempotencyKey(op) || !Object.hasOwn(args, IDEMPOTENCY_ARGUMENT)) return undefined
  const value = args[IDEMPOTENCY_ARGUMENT]
  return typeof value === 'string' ? value : JSON.stringify(value) ?? ''
}

type ObjectSchema = { properties?: Record<string, unknown>; required?: string[]; additionalProperties?: unknown }

/**
 * An operation declared in JSON Schema: its path parameters, query and body properties side by
 * side, as written. A body without a declared schema takes whatever other arguments are given.
 */
function jsonSchemaInput(op: Operation): Record<string, unknown> {
  const declared = op.jsonSchema!
  const query = (declared.query ?? {}) as ObjectSchema
  const body = (declared.body ?? {}) as ObjectSchema
  const properties: Record<string, unknown> = { ...query.properties, ...body.properties }
  for (const [name, schema] of Object.entries(declared.params ?? {})) properties[name] = schema
  const required = [...Object.keys(declared.params ?? {}), ...(query.required ?? []), ...(body.required ?? [])]
  if (takesIdempotencyKey(op)) properties[IDEMPOTENCY_ARGUMENT] = IDEMPOTENCY_PROPERTY
  const open = op.method !== 'get' && op.method !== 'delete' && (!declared.body || body.additionalProperties !== false)
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: open }
}

/**
 * Splits a tool's arguments back into the parts REST would have received (path segments are
 * strings); `idempotency_key` is not part of any.
 */
export function splitArguments(op: Operation, args: Record<string, unknown>): Required<RawInput> {
  // Keyed by the client's argument names: no prototype, so `__proto__` stays an argument (and is refused).
  const params: Record<string, string> = Object.create(null)
  const query: Record<string, string> = Object.create(null)
  const body: Record<string, unknown> = Object.create(null)
  const declared = op.jsonSchema
  const queryNames = declared ? Object.keys((declared.query as ObjectSchema | undefined)?.properties ?? {}) : undefined
  for (const [name, value] of Object.entries(args)) {
    if (name === IDEMPOTENCY_ARGUMENT && takesIdempotencyKey(op)) continue
    if (queryNames) {
      if (declared!.params && Object.hasOwn(declared!.params, name)) {
        if (value !== undefined && value !== null) params[name] = String(value)
      } else if (queryNames.includes(name)) query[name] = value as string
      else body[name] = value
      continue
    }
    if (op.params && Object.hasOwn(op.params.shape, name)) {
      if (value !== undefined && value !== null) params[name] = String(value)
    } else if (op.query && Object.hasOwn(op.query.shape, name)) query[name] = value as string
    else body[name] = value
  }
  return { params, query, body }
}

export function toolAnnotations(op: Operation) {
  const readOnly = op.method === 'get'
  return {
    title: op.summary,
    readOnlyHint: readOnly,
    destructiveHint: !readOnly && (op.destructive === true || op.method === 'delete'),
    idempotentHint: readOnly || op.method === 'put' || op.method === 'delete',
    openWorldHint: false,
  }
}
