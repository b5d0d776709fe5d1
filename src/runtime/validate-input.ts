import type { ZodError, ZodObject } from 'zod'
import { ApiError, fieldPath } from '../core/errors.js'
import type { Operation } from '../core/operation.js'

function describe(issue: ZodError['issues'][number], input: unknown): string {
  if (issue.code === 'invalid_type' && input === undefined) return 'is required'
  if (issue.code === 'unrecognized_keys') return `is not a known field`
  if (issue.code === 'invalid_value' && 'values' in issue) return `must be one of: ${(issue.values as unknown[]).join(', ')}`
  return issue.message.replace(/^Invalid input: /, '').replace(/^./, (ch) => ch.toLowerCase())
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let node = root
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<PropertyKey, unknown>)[key]
  }
  return node
}

/** Maps keyed by client input have no prototype: a field named `__proto__` is a field like any other. */
const fieldMap = (): Record<string, string> => Object.create(null) as Record<string, string>

/** What JSON.parse and form parsing build; an uploaded file's bytes (a Uint8Array) are not walked. */
const isPlainObject = (node: object) => {
  const proto: unknown = Object.getPrototypeOf(node)
  return proto === Object.prototype || proto === null
}

/**
 * Where a JSON body has a `__proto__` key (JSON.parse keeps it as an own property), as field
 * paths. Validation would otherwise drop it silently inside records, or copy it onto a prototype.
 * Iterative, so a deeply nested body cannot overflow the stack.
 */
function prototypeKeys(body: unknown): string[] {
  // Each node links to its parent, so the walk costs one entry per node however deep the body is;
  // a path is spelled out only for a key that is found.
  interface Step {
    node: unknown
    key: string | number | undefined
    parent: Step | undefined
  }
  const pathOf = (step: Step | undefined): (string | number)[] => {
    const path: (string | number)[] = []
    for (let s = step; s && s.key !== undefined; s = s.parent) path.push(s.key)
    return path.reverse()
  }
  const found: string[] = []
  const stack: Step[] = [{ node: body, key: undefined, parent: undefined }]
  while (stack.length > 0) {
    const step = stack.pop()!
    const { node } = step
    if (node === null || typeof node !== 'object') continue
    if (Array.isArray(node)) node.forEach((item, i) => stack.push({ node: item, key: i, parent: step }))
    else if (isPlainObject(node)) {
      if (Object.prototype.hasOwnProperty.call(node, '__proto__')) found.push(fieldPath([...pathOf(step), '__proto__']))
      for (const [key, value] of Object.entries(node)) if (value !== null && typeof value === 'object') stack.push({ node: value, key, parent: step })
    }
  }
  return found
}

/** zod issues → one `validation_error` whose `fields` names every offending field. */
export function toValidationError(error: ZodError, input: unknown, prefix: (string | number)[] = []): ApiError {
  const fields = fieldMap()
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[fieldPath([...prefix, ...issue.path, key])] = 'is not a known field'
      continue
    }
    const path = fieldPath([...prefix, ...issue.path])
    fields[path] ??= describe(issue, valueAt(input, issue.path))
  }
  const [first, message] = Object.entries(fields)[0] ?? ['(body)', 'is invalid']
  return new ApiError('validation_error', `${first} ${message}`, { fields })
}

export interface RawInput {
  params?: Record<string, string>
  query?: Record<string, string>
  body?: unknown
}

const strictBodies = new WeakMap<ZodObject, ZodObject>()

/** Unknown body fields are refused, as Stripe does: a typo must not be silently ignored. */
function strictBody(schema: ZodObject): ZodObject {
  let strict = strictBodies.get(schema)
  if (!strict) {
    strict = schema.strict()
    strictBodies.set(schema, strict)
  }
  return strict
}

/** Validates each part against its schema and merges them into the handler's one input object. */
export function validateInput(op: Operation, raw: RawInput): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  // Most calls of an operation without parameters (a health check, a forwarded GET) stop here.
  if (!op.params && !op.query && !op.body && !op.exactlyOneOf) return out
  let failure: ApiError | undefined
  const fields = fieldMap()
  const check = (schema: ZodObject, value: unknown) => {
    const result = schema.safeParse(value)
    if (result.success) Object.assign(out, result.data)
    else {
      failure = toValidationError(result.error, value)
      Object.assign(fields, failure.fields)
    }
  }
  if (op.params) check(op.params, raw.params ?? {})
  if (op.query) check(op.query, raw.query ?? {})
  if (op.body) {
    // A body of `null` is a body, and not an object: only an absent (or empty) one means `{}`.
    const value = raw.body === undefined ? {} : raw.body
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ApiError('validation_error', 'The request body must be a JSON object', { fields: { '(body)': 'must be an object' } })
    }
    const forbidden = prototypeKeys(value)
    if (forbidden.length > 0) {
      for (const path of forbidden) fields[path] = 'is not allowed'
      failure = new ApiError('validation_error', `${forbidden[0]} is not allowed`)
    } else check(strictBody(op.body), value)
  }
  const alternatives = op.exactlyOneOf ?? []
  if (!failure && alternatives.length > 0 && alternatives.filter((name) => out[name] !== undefined).length !== 1) {
    const rule = `give exactly one of ${alternatives.join(' or ')}`
    failure = new ApiError('validation_error', `${alternatives[0]} is required: ${rule}`)
    fields[alternatives[0]!] = rule
  }
  if (failure) {
    const [first, message] = Object.entries(fields)[0]!
    throw new ApiError('validation_error', `${first} ${message}`, { fields })
  }
  return out
}
