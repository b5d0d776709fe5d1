import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { ApiError, fieldPath } from '../core/errors.js'
import type { JsonSchema } from '../core/operation.js'

// ajv-formats is CommonJS: under Node's ESM its module object is the function itself.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020

/**
 * Checks input against an upstream's declared JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses).
 * Bodies are checked as sent; query and path values arrive as text, so they are checked with
 * ajv's type coercion on a copy (`?limit=10` satisfies `type: integer`) and forwarded as sent.
 */
export class JsonSchemaValidator {
  readonly #exact = new Ajv2020({ allErrors: true, strict: false, validateFormats: true })
  readonly #coercing = new Ajv2020({ allErrors: true, strict: false, validateFormats: true, coerceTypes: 'array' })

  constructor() {
    addFormats(this.#exact)
    addFormats(this.#coercing)
  }

  /** Compiles once at start; a schema ajv cannot compile is a problem of the upstreams file. */
  compile(schema: JsonSchema, coerce: boolean): (value: unknown) => Record<string, string> | null {
    const validate: ValidateFunction = (coerce ? this.#coercing : this.#exact).compile(schema)
    return (value) => (validate(value) ? null : fieldsOf(validate.errors ?? []))
  }
}

/** `/recipients/0/email` → `recipients[0].email`, as Portico's own validation names fields. */
function pathOf(pointer: string, extra?: string): string {
  const parts: (string | number)[] = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p))
  if (extra !== undefined) parts.push(extra)
  return fieldPath(parts)
}

function fieldsOf(errors: ErrorObject[]): Record<string, string> {
  const fields = Object.create(null) as Record<string, string>
  for (const e of errors) {
    if (e.keyword === 'required') fields[pathOf(e.instancePath, (e.params as { missingProperty: string }).missingProperty)] ??= 'is required'
    else if (e.keyword === 'additionalProperties') fields[pathOf(e.instancePath, (e.params as { additionalProperty: string }).additionalProperty)] ??= 'is not a known field'
    else if (e.keyword === 'enum') fields[pathOf(e.instancePath)] ??= `must be one of: ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}`
    else fields[pathOf(e.instancePath)] ??= e.message ?? 'is invalid'
  }
  return fields
}

export function validationError(fields: Record<string, string>, where: string): ApiError {
  const [first, message] = Object.entries(fields)[0] ?? [where, 'is invalid']
  return new ApiError('validation_error', `${first} ${message}`, { fields })
}
