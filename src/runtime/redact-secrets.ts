import type { Operation } from '../core/operation.js'

/** The stored copy of a mint never holds the secret: each of the operation's `secretFields` is null in it. */
export function redactSecrets(op: Operation, body: unknown): unknown {
  if (!op.secretFields?.length) return body
  return op.secretFields.reduce((copy, field) => redactPath(copy, field.split('.')), body)
}

/** `recipients.signing_url`: a dotted path that walks into objects and through every element of an array. */
function redactPath(value: unknown, path: string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => redactPath(item, path))
  if (value === null || typeof value !== 'object' || path.length === 0) return value
  const [head, ...rest] = path as [string, ...string[]]
  if (!(head in value)) return value
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) }
  copy[head] = rest.length === 0 ? null : redactPath(copy[head], rest)
  return copy
}
