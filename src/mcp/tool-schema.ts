import { z } from 'zod'
import type { Operation } from '../core/operation.js'

const cache = new WeakMap<Operation, Record<string, unknown>>()

/** Path, query and body parameters merged into one object, as JSON Schema; built once per operation. */
export function toolInputSchema(op: Operation): Record<string, unknown> {
  let schema = cache.get(op)
  if (!schema) {
    const shape = { ...op.params?.shape, ...op.query?.shape, ...op.body?.shape }
    const json = z.toJSONSchema(z.object(shape), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
    delete json.$schema
    schema = json
    cache.set(op, schema)
  }
  return schema
}

/** Splits a tool's arguments back into the parts REST would have received. */
export function splitArguments(op: Operation, args: Record<string, unknown>): { params: Record<string, string>; query: Record<string, string>; body: unknown } {
  const params: Record<string, string> = {}
  const query: Record<string, string> = {}
  const body: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(args)) {
    if (op.params && name in op.params.shape) params[name] = String(value)
    else if (op.query && name in op.query.shape) query[name] = value as string
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
