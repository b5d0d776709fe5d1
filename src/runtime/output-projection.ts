import type { ZodType } from 'zod'

/** Copies an answer down to what its output schema declares: keys it does not name are dropped. */
export type Projection = (value: unknown) => unknown

interface Def {
  type: string
  shape?: Record<string, ZodType>
  element?: ZodType
  innerType?: ZodType
  valueType?: ZodType
  catchall?: ZodType
  options?: ZodType[]
}

const defOf = (schema: ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def

/** Kinds whose parsed value is the value itself: nothing to strip, nothing transformed. */
const LEAVES = new Set(['string', 'number', 'int', 'boolean', 'null', 'literal', 'enum', 'unknown', 'any', 'bigint', 'nan'])

const identity: Projection = (v) => v

/**
 * Compiles an output schema into a projection that keeps exactly the keys a zod parse would keep
 * (objects strip what they do not declare, a loose object keeps all, arrays and records map their
 * members, optional and nullable pass absent and null, a strict object drops what it would refuse),
 * without checking types or formats. For a schema it cannot mirror — a union, a default, a
 * transform, a pipe, a lazy or anything else — it returns undefined, and the caller parses with zod.
 */
export function compileProjection(schema: ZodType): Projection | undefined {
  const def = defOf(schema)
  if (LEAVES.has(def.type)) return identity
  switch (def.type) {
    case 'optional':
    case 'nullable': {
      const inner = compileProjection(def.innerType!)
      if (!inner) return undefined
      if (inner === identity) return identity
      return (v) => (v === undefined || v === null ? v : inner(v))
    }
    case 'array': {
      const element = compileProjection(def.element!)
      if (!element) return undefined
      if (element === identity) return (v) => (Array.isArray(v) ? v.slice() : v)
      return (v) => (Array.isArray(v) ? v.map((e) => element(e)) : v)
    }
    case 'record': {
      const value = compileProjection(def.valueType!)
      if (!value) return undefined
      return (v) => {
        if (v === null || typeof v !== 'object') return v
        const out: Record<string, unknown> = {}
        for (const k of Object.keys(v)) out[k] = value((v as Record<string, unknown>)[k])
        return out
      }
    }
    case 'object': {
      const catchall = def.catchall ? defOf(def.catchall).type : undefined
      // A strict object refuses unknown keys where validation runs (the suites); as deployed they are
      // dropped like any object's. A typed catch-all would check and shape them: left to zod.
      if (catchall !== undefined && catchall !== 'unknown' && catchall !== 'never') return undefined
      const entries: [string, Projection][] = []
      for (const [key, field] of Object.entries(def.shape ?? {})) {
        const projection = compileProjection(field)
        if (!projection) return undefined
        entries.push([key, projection])
      }
      const loose = catchall === 'unknown'
      return (v) => {
        if (v === null || typeof v !== 'object' || Array.isArray(v)) return v
        const source = v as Record<string, unknown>
        const out: Record<string, unknown> = loose ? { ...source } : {}
        for (const [key, projection] of entries) {
          const field = source[key]
          if (field === undefined) {
            if (key in source) out[key] = undefined
            continue
          }
          out[key] = projection(field)
        }
        return out
      }
    }
    default:
      return undefined
  }
}
