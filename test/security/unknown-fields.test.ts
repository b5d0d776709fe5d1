/**
 * An unknown field is refused wherever it is in a JSON body, not only at its top level: for every
 * object a published request body declares (found by walking the OpenAPI document, so a new
 * nested object is covered the day it is declared), the request the operation accepts, with one
 * misspelt field added inside that object, is 400 `validation_error` naming it, on REST and MCP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines } from '../harness.js'
import { Coverage } from './coverage.js'
import { mcpDoorway, restDoorway } from './doorways.js'
import { deref, minimalValue, type JsonSchema } from './published-schema.js'
import { startWorld, type Tenant, type World } from './world.js'

type Step = string | number

/** Paths to every object with declared properties inside a schema (the root excluded), through arrays and maps. */
function nestedObjects(doc: any, input: JsonSchema, at: Step[] = []): { path: Step[]; schema: JsonSchema }[] {
  const schema = deref(doc, input)
  const parts = [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])].map((s: JsonSchema) => deref(doc, s))
  const own = parts.find((p) => p.properties) ?? schema
  const out: { path: Step[]; schema: JsonSchema }[] = []
  if (own.properties && at.length) out.push({ path: at, schema: own })
  for (const [name, prop] of Object.entries<JsonSchema>(own.properties ?? {})) out.push(...nestedObjects(doc, prop, [...at, name]))
  if (own.items) out.push(...nestedObjects(doc, own.items, [...at, 0]))
  if (own.additionalProperties && typeof own.additionalProperties === 'object') out.push(...nestedObjects(doc, own.additionalProperties, [...at, 'general']))
  return out
}

/** The body with a value at `path`, made from the schema's smallest valid value where the body has none. */
function withValue(doc: any, schema: JsonSchema, body: any, path: Step[], value: unknown): any {
  if (path.length === 0) return value
  const [head, ...rest] = path as [Step, ...Step[]]
  const s = deref(doc, schema)
  const own = [s, ...[...(s.allOf ?? []), ...(s.anyOf ?? [])].map((x: JsonSchema) => deref(doc, x))].find((p) => p.properties || p.items || p.additionalProperties) ?? s
  const child = typeof head === 'number' ? own.items : (own.properties?.[head] ?? own.additionalProperties)
  const copy: any = Array.isArray(body) ? [...body] : { ...(body ?? (typeof head === 'number' ? [] : {})) }
  copy[head] = withValue(doc, child ?? {}, copy[head] ?? minimalValue(doc, child ?? {}), rest, value)
  return copy
}

describe.each(engines)('unknown fields in nested objects (%s)', (engine) => {
  let world: World
  let tenant: Tenant
  const coverage = new Coverage(`unknown nested fields (${engine})`)

  beforeAll(async () => {
    world = await startWorld(engine)
    tenant = await world.tenant('strict')
  })
  afterAll(async () => {
    coverage.print()
    await world?.close()
  })

  it('are 400 validation_error naming the field, on REST and MCP', async () => {
    const doorways = [restDoorway(world.server.url), mcpDoorway(world.server.url, world.api.errorStatus)]
    const failures: string[] = []
    let checked = 0
    for (const published of world.api.operations) {
      const schema = published.bodies['application/json']
      if (!schema) continue
      const op = world.server.portico.registry.get(published.id)!
      for (const { path, schema: nested } of nestedObjects(world.api.doc, schema)) {
        for (const doorway of doorways) {
          const call = await world.validCall(op, tenant)
          const target = (path as Step[]).reduce<any>((node, step) => node?.[step], call.body)
          const object = target && typeof target === 'object' ? target : minimalValue(world.api.doc, nested)
          const body = withValue(world.api.doc, schema, call.body, path, { ...object, zz_misspelt: 1 })
          const key = world.keyFor(op, tenant)
          const answer = await doorway.call(op, key, { ...call, body })
          coverage.count(doorway.name, op.id)
          checked++
          const where = `${doorway.name} ${op.id} ${path.join('.')}`
          if (answer.status !== 400 || answer.code !== 'validation_error') failures.push(`${where}: ${answer.status} ${answer.text.slice(0, 160)}`)
          else if (!Object.keys(answer.body?.error?.fields ?? {}).some((f) => f.includes('zz_misspelt'))) failures.push(`${where}: fields ${JSON.stringify(answer.body.error.fields)}`)
        }
      }
    }
    expect(checked).toBeGreaterThan(0)
    expect(failures).toEqual([])
  })
})
