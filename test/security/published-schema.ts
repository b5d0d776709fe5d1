/**
 * The published OpenAPI document as the security suites read it: each operation's parameters, request
 * bodies and responses as JSON Schemas, a validator for them, and generators of valid values. Nothing
 * here reads Portico's declarations: what is checked is what a client is told.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import fc from 'fast-check'

export type JsonSchema = Record<string, any>

export interface PublishedOperation {
  id: string
  method: string
  /** OpenAPI path under the server URL: `/keys/{id}`. */
  path: string
  scope: string | null
  /** `org`, `reseller` or `any`, read from the security requirement. */
  audience: 'org' | 'reseller' | 'service' | 'any'
  pathParams: { name: string; schema: JsonSchema }[]
  queryParams: { name: string; schema: JsonSchema; required: boolean }[]
  /** Media type → schema of the request body, when there is one. */
  bodies: Record<string, JsonSchema>
  /** Status → JSON schema of the answer (absent for a file answer). */
  responses: Record<string, JsonSchema | undefined>
}

export interface PublishedApi {
  doc: any
  operations: PublishedOperation[]
  /** Every documented error code and its HTTP status, read from the `Error` schema's description. */
  errorStatus: Map<string, number>
  validate(schema: JsonSchema, value: unknown): { valid: boolean; errors: string }
  /** A validator that reads path and query values as a client sends them: text, coerced to the schema's type. */
  validateParameter(schema: JsonSchema, value: string): boolean
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020

function audienceOf(security: Record<string, unknown>[] | undefined): PublishedOperation['audience'] {
  const names = (security ?? []).flatMap((s) => Object.keys(s))
  if (names.includes('resellerAuth') && names.includes('bearerAuth')) return 'any'
  return names.includes('resellerAuth') ? 'reseller' : names.includes('serviceAuth') ? 'service' : 'org'
}

export function readPublishedApi(doc: any): PublishedApi {
  const make = (coerceTypes: boolean) => {
    // OpenAPI 3.1 schemas are JSON Schema 2020-12; the components are added so $ref resolves.
    const ajv = new Ajv2020({ strict: false, allErrors: false, coerceTypes, validateFormats: true, logger: false })
    addFormats(ajv)
    // OpenAPI's own formats, which say how a value travels rather than what it may be.
    for (const format of ['binary', 'byte', 'int32', 'int64', 'float', 'double', 'password']) ajv.addFormat(format, true)
    ajv.addSchema({ $id: 'openapi', components: doc.components ?? {} })
    return ajv
  }
  const strict = make(false)
  const coercing = make(true)
  const rewrite = (schema: JsonSchema): JsonSchema => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'))
  const cache = new Map<string, ValidateFunction>()
  const compiled = (ajv: Ajv2020, schema: JsonSchema, tag: string) => {
    const key = tag + JSON.stringify(schema)
    let fn = cache.get(key)
    if (!fn) {
      fn = ajv.compile(rewrite(schema))
      cache.set(key, fn)
    }
    return fn
  }

  const operations: PublishedOperation[] = []
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const [method, entry] of Object.entries<any>(item)) {
      const parameters: any[] = entry.parameters ?? []
      const bodies: Record<string, JsonSchema> = {}
      for (const [type, media] of Object.entries<any>(entry.requestBody?.content ?? {})) bodies[type] = media.schema ?? {}
      const responses: Record<string, JsonSchema | undefined> = {}
      for (const [status, response] of Object.entries<any>(entry.responses ?? {})) responses[status] = response.content?.['application/json']?.schema
      operations.push({
        id: entry.operationId,
        method,
        path,
        scope: entry['x-scope'] ?? null,
        audience: audienceOf(entry.security),
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {}, required: Boolean(p.required) })),
        bodies,
        responses,
      })
    }
  }

  const errorStatus = new Map<string, number>()
  const codeSchema = doc.components?.schemas?.Error?.properties?.error?.properties?.code
  for (const match of String(codeSchema?.description ?? '').matchAll(/`(\w+)` \((\d{3})\)/g)) errorStatus.set(match[1]!, Number(match[2]))
  for (const code of codeSchema?.enum ?? []) if (!errorStatus.has(code)) throw new Error(`the Error schema names code ${code} without its status`)

  return {
    doc,
    operations,
    errorStatus,
    validate(schema, value) {
      const fn = compiled(strict, schema, 's')
      const valid = fn(structuredClone(value)) as boolean
      return { valid, errors: valid ? '' : strict.errorsText(fn.errors) }
    },
    validateParameter(schema, value) {
      // Coercion mutates its argument's container, so the value travels in a fresh object.
      const holder = { v: value }
      return compiled(coercing, { type: 'object', properties: { v: schema } }, 'c')(holder) as boolean
    },
  }
}

/** Follows a `#/components/...` reference. */
export function deref(doc: any, schema: JsonSchema): JsonSchema {
  let node = schema
  for (let i = 0; node?.$ref && i < 20; i++) {
    node = String(node.$ref)
      .replace(/^#\//, '')
      .split('/')
      .reduce((at: any, part: string) => at?.[part], doc)
  }
  return node ?? {}
}

const typesOf = (schema: JsonSchema): string[] => (Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [])

/** A plain address every validator takes (generated e-mail addresses explore RFC corners, which is not the point here). */
const email = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/), fc.constantFrom('example.com', 'example.org')).map(([u, d]) => `${u}@${d}`)

/** Valid values of a schema, as fast-check generates them; sizes stay small so a case stays cheap. */
export function valuesOf(doc: any, input: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const schema = deref(doc, input)
  if ('const' in schema) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum)
  const alternatives = schema.anyOf ?? schema.oneOf
  if (Array.isArray(alternatives)) return fc.oneof(...alternatives.map((s: JsonSchema) => valuesOf(doc, s, depth + 1)))
  if (Array.isArray(schema.allOf)) {
    // Merge the parts that say something; the result is re-validated by the caller anyway.
    const parts = schema.allOf.map((s: JsonSchema) => deref(doc, s))
    return valuesOf(doc, Object.assign({}, ...parts, { type: parts.find((p: JsonSchema) => p.properties || p.items)?.type ?? parts[0]?.type }), depth + 1)
  }
  const types = typesOf(schema).filter((t) => t !== 'null')
  const type = types[0] ?? (schema.properties ? 'object' : schema.items ? 'array' : undefined)
  switch (type) {
    case 'string': {
      if (schema.format === 'uuid') return fc.uuid({ version: 4 })
      if (schema.format === 'email') return email
      if (schema.format === 'date-time') return fc.date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true }).map((d) => d.toISOString())
      if (schema.format === 'uri' || schema.format === 'url') return fc.webUrl()
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern))
      const minLength = schema.minLength ?? 0
      return fc.string({ minLength, maxLength: Math.max(minLength, Math.min(schema.maxLength ?? 24, 24)), unit: 'grapheme-ascii' })
    }
    case 'integer':
      return fc.integer({ min: Math.max(schema.minimum ?? -1000, -1e6), max: Math.min(schema.maximum ?? 1000, 1e6) })
    case 'number': {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 0.5 : -1000)
      return fc.double({ min, max: schema.maximum ?? 1000, noNaN: true, noDefaultInfinity: true })
    }
    case 'boolean':
      return fc.boolean()
    case 'array': {
      if (depth > 4) return fc.constant([])
      const minLength = schema.minItems ?? 0
      return fc.array(valuesOf(doc, schema.items ?? {}, depth + 1), { minLength, maxLength: Math.max(minLength, Math.min(schema.maxItems ?? 3, 3)) })
    }
    case 'object': {
      if (depth > 4) return fc.constant({})
      const properties: Record<string, JsonSchema> = schema.properties ?? {}
      const record: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [name, prop] of Object.entries(properties)) {
        if (deref(doc, prop).format === 'binary') continue
        record[name] = valuesOf(doc, prop, depth + 1)
      }
      const requiredKeys = (schema.required ?? []).filter((k: string) => k in record)
      const base = fc.record(record, { requiredKeys })
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        const extra = fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), valuesOf(doc, schema.additionalProperties, depth + 1), { maxKeys: 2 })
        return fc.tuple(base, extra).map(([a, b]) => ({ ...b, ...a }))
      }
      return base
    }
    default:
      return fc.oneof(fc.constant(null), fc.string({ maxLength: 8 }), fc.integer())
  }
}

/** The smallest valid value: required properties only, each at its simplest. */
export function minimalValue(doc: any, input: JsonSchema): unknown {
  const schema = deref(doc, input)
  if ('const' in schema) return schema.const
  if (Array.isArray(schema.enum)) return schema.enum[0]
  if (schema.default !== undefined) return schema.default
  const alternatives = schema.anyOf ?? schema.oneOf ?? schema.allOf
  if (Array.isArray(alternatives)) return minimalValue(doc, alternatives[0])
  const type = typesOf(schema).find((t) => t !== 'null') ?? (schema.properties ? 'object' : undefined)
  switch (type) {
    case 'string':
      if (schema.format === 'uuid') return '00000000-0000-4000-8000-000000000000'
      if (schema.format === 'email') return 'someone@example.com'
      if (schema.format === 'date-time') return '2030-01-01T00:00:00.000Z'
      if (schema.format === 'uri' || schema.format === 'url') return 'https://example.com/'
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1))
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1)
    case 'boolean':
      return false
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => minimalValue(doc, schema.items ?? {}))
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((k: string) => [k, minimalValue(doc, schema.properties?.[k] ?? {})]))
    default:
      return null
  }
}

/**
 * Keys of a value its schema does not declare, as paths. Portico refuses unknown body fields, so an
 * accepted body holds none: a `__proto__` or a misspelt field that got through is found here even
 * though the published objects do not say `additionalProperties: false`.
 */
export function undeclaredKeys(doc: any, input: JsonSchema, value: unknown, at = ''): string[] {
  const schema = deref(doc, input)
  if (value === null || typeof value !== 'object') return []
  const alternatives = schema.anyOf ?? schema.oneOf ?? schema.allOf
  if (Array.isArray(alternatives)) {
    const found = alternatives.map((s: JsonSchema) => undeclaredKeys(doc, s, value, at))
    return found.reduce((a: string[], b: string[]) => (a.length <= b.length ? a : b))
  }
  if (Array.isArray(value)) return schema.items ? value.flatMap((v, i) => undeclaredKeys(doc, schema.items, v, `${at}[${i}]`)) : []
  const properties: Record<string, JsonSchema> = schema.properties ?? {}
  const extra = schema.additionalProperties
  const out: string[] = []
  for (const key of Object.keys(value)) {
    const path = at ? `${at}.${key}` : key
    if (Object.hasOwn(properties, key)) out.push(...undeclaredKeys(doc, properties[key]!, (value as Record<string, unknown>)[key], path))
    else if (extra && typeof extra === 'object') out.push(...undeclaredKeys(doc, extra, (value as Record<string, unknown>)[key], path))
    else if (schema.properties && extra !== true) out.push(path)
  }
  return out
}
