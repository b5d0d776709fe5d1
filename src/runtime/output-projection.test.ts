import { describe, expect, it } from 'vitest'
import { z } from '../core/schema.js'
import { esignModule } from '../../examples/esign/index.js'
import { builtInModules } from '../server.js'
import { startServer } from '../../test/harness.js'
import { compileProjection } from './output-projection.js'

const Credits = z.object({ remaining: z.number(), refill: z.object({ amount: z.number(), interval: z.enum(['day', 'month']) }).nullable() })
const Key = z.object({
  id: z.uuid(),
  name: z.string(),
  scopes: z.array(z.enum(['read', 'admin'])),
  meta: z.record(z.string(), z.unknown()),
  credits: Credits.nullable(),
  expires_at: z.string().nullable().optional(),
  limits: z.record(z.string(), z.object({ limit: z.number(), window_seconds: z.number() })),
})
const Page = z.object({ object: z.literal('list'), data: z.array(Key), has_more: z.boolean(), extra: z.looseObject({ kept: z.string() }) })

/** A valid answer with an undeclared key at every depth: the projection must drop exactly what zod drops. */
const answer = {
  object: 'list',
  has_more: false,
  secret_column: 'hash',
  extra: { kept: 'yes', also: 'kept by a loose object' },
  data: [
    {
      id: '124af369-39e5-48f1-bf0e-a3b42c0a066e',
      name: 'k',
      scopes: ['read'],
      key_hash: 'never on the wire',
      meta: { plan: 'pro', nested: { any: 1 } },
      credits: { remaining: 3, refill: { amount: 10, interval: 'day', internal: true }, ledger: [1] },
      limits: { general: { limit: 10, window_seconds: 60, bucket: 'x' } },
    },
    { id: '224af369-39e5-48f1-bf0e-a3b42c0a066e', name: 'j', scopes: [], meta: {}, credits: null, expires_at: null, limits: {} },
  ],
}

describe('output projection', () => {
  it('keeps exactly the keys a zod parse keeps, at every depth', () => {
    const projection = compileProjection(Page)!
    expect(projection).toBeTypeOf('function')
    expect(projection(answer)).toEqual(Page.parse(answer))
    expect(JSON.stringify(projection(answer))).not.toContain('never on the wire')
    expect(JSON.stringify(projection(answer))).not.toContain('secret_column')
  })

  it('drops what a strict object would refuse', () => {
    const schema = z.object({ limits: z.record(z.string(), z.strictObject({ limit: z.number() })) })
    expect(compileProjection(schema)!({ limits: { general: { limit: 1, extra: 2 } } })).toEqual({ limits: { general: { limit: 1 } } })
  })

  it('leaves to zod what it cannot mirror: unions, defaults, transforms, typed catch-alls', () => {
    for (const schema of [
      z.union([z.object({ a: z.string() }), z.object({ b: z.string() })]),
      z.object({ a: z.string().default('x') }),
      z.object({ a: z.string().transform((s) => s.length) }),
      z.object({ a: z.string() }).catchall(z.number()),
      z.object({ nested: z.array(z.discriminatedUnion('t', [z.object({ t: z.literal('a') })])) }),
    ]) {
      expect(compileProjection(schema)).toBeUndefined()
    }
  })

  it("mirrors zod for every operation whose output it compiles, on the registry's own schemas", () => {
    let compiled = 0
    for (const op of [...builtInModules(), esignModule].flatMap((m) => m.operations ?? [])) {
      const projection = compileProjection(op.output)
      if (!projection) continue
      compiled++
      // An undeclared key on the answer is dropped, as zod drops it.
      const value = { undeclared_secret: 'x' }
      const parsed = op.output.safeParse(value)
      if (parsed.success) expect(projection(value)).toEqual(parsed.data)
      else expect(JSON.stringify(projection(value) ?? null)).not.toContain('undeclared_secret')
    }
    expect(compiled).toBeGreaterThan(10)
  })
})

describe('a server that projects instead of validating (PORTICO_CHECK_OUTPUT unset, as deployed)', () => {
  it('answers exactly what validation would have answered', async () => {
    const server = await startServer({ env: { PORTICO_CHECK_OUTPUT: '0' } })
    try {
      const { key } = await server.createOrg('Projected')
      const minted = await server.api('POST', '/keys', { key, body: { name: 'meta', scopes: ['read'], meta: { plan: 'pro' }, credits: { remaining: 5 } } })
      expect(minted.status, minted.text).toBe(201)
      for (const [id, path] of [
        ['platform.health', '/health'],
        ['keys.list', '/keys'],
        ['keys.get', `/keys/${minted.body.id}`],
        ['platform.catalog', '/catalog'],
      ] as const) {
        const res = await server.api('GET', path, { key })
        expect(res.status, res.text).toBe(200)
        const op = server.portico.registry.get(id)!
        expect(compileProjection(op.output), `${id} is projected, not parsed`).toBeTypeOf('function')
        expect(op.output.parse(res.body), id).toEqual(res.body)
      }
    } finally {
      await server.close()
    }
  })
})
