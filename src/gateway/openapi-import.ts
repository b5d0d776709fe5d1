import type { JsonSchema } from '../core/operation.js'
import type { GatewayOperationSpec } from './upstreams-file.js'

export type { JsonSchema }

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const

/** `getDocument` → `get_document`, `HTTPStatus` → `http_status`, `list-docs v2` → `list_docs_v2`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase()
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * Inlines every local `$ref` (`#/components/schemas/Document`) so that each operation's schemas
 * stand alone in Portico's document and in its validator; an OpenAPI 3.0 `nullable` becomes the
 * JSON Schema `null` type that 3.1 uses. A schema that refers to itself cannot be inlined.
 */
function dereference(doc: Record<string, unknown>, value: unknown, fail: (problem: string) => never, seen: string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => dereference(doc, v, fail, seen))
  if (!isObject(value)) return value
  if (typeof value.$ref === 'string') {
    const ref = value.$ref
    if (!ref.startsWith('#/')) fail(`its OpenAPI document refers to ${ref}; only references inside the document (#/…) are supported`)
    if (seen.includes(ref)) fail(`its OpenAPI document's ${ref} refers to itself; recursive schemas are not supported`)
    let target: unknown = doc
    for (const part of ref.slice(2).split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
      target = isObject(target) ? target[key] : undefined
    }
    if (target === undefined) fail(`its OpenAPI document refers to ${ref}, which it does not define`)
    return dereference(doc, target, fail, [...seen, ref])
  }
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    if (key === 'nullable') continue
    out[key] = dereference(doc, v, fail, seen)
  }
  if (value.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null']
  return out
}

interface Parameter {
  name: string
  in: string
  required?: boolean
  description?: string
  schema?: JsonSchema
}

/**
 * The operations of an upstream's own OpenAPI 3.x document: path, parameters, JSON request body
 * and response schemas, summary and description; scope from `x-portico-scope`, else `read` for
 * GET and `actions` otherwise. The document's `servers` are ignored: the upstream's `url` decides.
 */
export function importOpenApi(raw: unknown, upstream: string, fail: (problem: string) => never): Partial<GatewayOperationSpec>[] {
  if (!isObject(raw) || typeof raw.openapi !== 'string' || !raw.openapi.startsWith('3.')) fail('its OpenAPI document is not OpenAPI 3.x (no "openapi": "3.…")')
  const doc = raw as Record<string, unknown>
  if (!isObject(doc.paths)) fail('its OpenAPI document has no paths')
  const out: Partial<GatewayOperationSpec>[] = []
  for (const [apiPath, rawItem] of Object.entries(doc.paths as Record<string, unknown>)) {
    const item = dereference(doc, rawItem, fail) as Record<string, unknown>
    if (!isObject(item)) continue
    for (const method of METHODS) {
      const op = item[method]
      if (!isObject(op)) continue
      const where = `${method.toUpperCase()} ${apiPath}`
      if (typeof op.operationId !== 'string' || op.operationId === '') fail(`its OpenAPI document's ${where} has no operationId`)
      const name = snakeCase(op.operationId as string)
      if (!/^[a-z][a-z0-9_]*$/.test(name)) fail(`its OpenAPI document's operationId "${op.operationId}" does not make an operation name`)
      const parameters = new Map<string, Parameter>()
      for (const p of [...((item.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])]) {
        if (isObject(p) && typeof p.name === 'string' && typeof p.in === 'string') parameters.set(`${p.in}:${p.name}`, p as unknown as Parameter)
      }
      const params: Record<string, JsonSchema> = {}
      const queryProps: Record<string, JsonSchema> = {}
      const queryRequired: string[] = []
      for (const p of parameters.values()) {
        const schema: JsonSchema = { ...(p.schema ?? { type: 'string' }), ...(p.description ? { description: p.description } : {}) }
        if (p.in === 'path') params[p.name] = schema
        if (p.in === 'query') {
          queryProps[p.name] = schema
          if (p.required) queryRequired.push(p.name)
        }
      }
      const spec: Partial<GatewayOperationSpec> = { id: `${upstream}.${name}`, method, path: apiPath, upstreamPath: apiPath, params }
      if (Object.keys(queryProps).length > 0) spec.query = { type: 'object', properties: queryProps, ...(queryRequired.length ? { required: queryRequired } : {}) }
      const content = isObject(op.requestBody) && isObject(op.requestBody.content) ? (op.requestBody.content as Record<string, unknown>) : {}
      const jsonType = Object.keys(content).find((t) => t === 'application/json' || t.endsWith('+json'))
      const bodySchema = jsonType && isObject(content[jsonType]) ? (content[jsonType] as { schema?: unknown }).schema : undefined
      if (isObject(bodySchema)) spec.body = bodySchema
      const scope = op['x-portico-scope']
      if (scope !== undefined) {
        if (scope !== null && !['read', 'draft', 'actions', 'admin'].includes(scope as string)) {
          fail(`its OpenAPI document's ${where} has x-portico-scope "${String(scope)}"; expected read, draft, actions, admin or null`)
        }
        spec.scope = scope as GatewayOperationSpec['scope']
      }
      const limit = op['x-portico-limit']
      if (typeof limit === 'string') spec.limit = limit
      if (typeof op.summary === 'string' && op.summary) spec.summary = op.summary.slice(0, 200)
      else if (typeof op.description === 'string' && op.description) spec.summary = op.description.split('\n')[0]!.slice(0, 200)
      if (typeof op.description === 'string' && op.description) spec.description = op.description
      if (isObject(op.responses)) {
        const responses: NonNullable<GatewayOperationSpec['responses']> = {}
        for (const [status, r] of Object.entries(op.responses)) {
          if (!/^[1-5]\d\d$/.test(status) || !isObject(r)) continue
          const media: Record<string, { schema?: JsonSchema }> = {}
          for (const [type, m] of Object.entries(isObject(r.content) ? r.content : {})) {
            media[type] = isObject(m) && isObject(m.schema) ? { schema: m.schema } : {}
          }
          responses[status] = { description: typeof r.description === 'string' ? r.description : status, ...(Object.keys(media).length ? { content: media } : {}) }
        }
        spec.responses = responses
      }
      out.push(spec)
    }
  }
  return out
}
