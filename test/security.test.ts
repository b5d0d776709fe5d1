import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Operation } from '../src/core/operation.js'
import { scopes } from '../src/core/scopes.js'
import { shippedModules } from '../examples/main.js'
import { makePdf } from './pdf-fixture.js'
import { startServer, type TestServer } from './harness.js'

/** A path with every parameter filled by a well-formed id that exists nowhere. */
function concretePath(op: Operation): string {
  return op.path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000')
}

/** Path parameters naming another organisation's resources, and valid bodies where {} is not. */
type Fixture = (server: TestServer, key: string) => Promise<Record<string, unknown>>

/** Creates resources in another organisation and returns the path parameters that name them. */
const foreignFixtures: Record<string, Fixture> = {
  keys: async (server, key) => ({ id: (await server.api('POST', '/keys', { key, body: { name: 'foreign' } })).body.id }),
  documents: async (server, key) => {
    const file_base64 = Buffer.from(await makePdf(1)).toString('base64')
    const doc = (await server.api('POST', '/documents', { key, body: { title: 'Foreign', file_base64, recipients: [{ name: 'A', email: 'a@example.com' }] } })).body
    return {
      id: doc.id,
      rid: doc.recipients[0].id,
      bodies: {
        'recipients.create': { name: 'B', email: 'b@example.com' },
        'fields.create': { type: 'SIGNATURE', page: 1, x: 10, y: 10, width: 100, height: 30, recipientId: doc.recipients[0].id },
      },
    }
  },
  templates: async (server, key) => {
    const file_base64 = Buffer.from(await makePdf(1)).toString('base64')
    const doc = (await server.api('POST', '/documents', { key, body: { title: 'Foreign', file_base64, recipients: [{ name: 'A', email: 'a@example.com' }] } })).body
    return { id: (await server.api('POST', '/templates', { key, body: { title: 'Foreign template', document_id: doc.id } })).body.id }
  },
  webhooks: async (server, key) => {
    const hook = (await server.api('POST', '/webhooks', { key, body: { url: 'http://127.0.0.1:9/hook', events: ['*'] } })).body
    const delivery = (await server.api('POST', `/webhooks/${hook.id}/test`, { key })).body
    return { id: hook.id, delivery_id: delivery.id }
  },
}

describe('security rules derived from the operation registry', () => {
  let server: TestServer
  let org: { orgId: string; key: string }
  beforeAll(async () => {
    server = await startServer({ modules: await shippedModules(), env: { PORTICO_AUTH_FAILURES_PER_MINUTE: '100000' } })
    org = await server.createOrg()
  })
  afterAll(() => server.close())

  it('every operation without a key answers 401 missing_api_key', async () => {
    const ops = server.portico.registry.all()
    expect(ops.length).toBeGreaterThan(5)
    for (const op of ops) {
      const res = await server.api(op.method.toUpperCase(), concretePath(op), { body: op.body ? {} : undefined })
      expect(res.status, op.id).toBe(401)
      expect(res.body.error.code, op.id).toBe('missing_api_key')
    }
  })

  it('every scoped operation refuses a key holding every other scope with 403 insufficient_scope', async () => {
    const keyWithout = new Map<string, string>()
    for (const scope of scopes) {
      const res = await server.api('POST', '/keys', { key: org.key, body: { name: `all but ${scope}`, scopes: scopes.filter((s) => s !== scope) } })
      keyWithout.set(scope, res.body.key)
    }
    for (const op of server.portico.registry.all().filter((o) => o.scope !== null && o.audience === 'org')) {
      const res = await server.api(op.method.toUpperCase(), concretePath(op), { key: keyWithout.get(op.scope!)!, body: op.body ? {} : undefined })
      expect(res.status, op.id).toBe(403)
      expect(res.body.error.code, op.id).toBe('insufficient_scope')
      expect(res.body.error.message, op.id).toContain(op.scope)
    }
  })

  it("every operation with an id in its path answers 404 not_found for another organisation's resource", async () => {
    const owner = await server.createOrg('Owner of the resources')
    const values = new Map<string, Record<string, unknown>>()
    const missing: string[] = []
    for (const op of server.portico.registry.all().filter((o) => o.params && o.audience === 'org')) {
      const family = op.path.split('/')[1]!
      if (!values.has(family)) {
        const fixture = foreignFixtures[family]
        if (!fixture) {
          missing.push(op.id)
          continue
        }
        values.set(family, await fixture(server, owner.key))
      }
      const { bodies, ...params } = values.get(family)! as { bodies?: Record<string, unknown> } & Record<string, string>
      const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
        if (!params[name]) throw new Error(`fixture for /${family} gives no {${name}} (needed by ${op.id})`)
        return params[name]!
      })
      const res = await server.api(op.method.toUpperCase(), path, { key: org.key, body: op.body ? (bodies?.[op.id] ?? {}) : undefined })
      expect(res.status, `${op.id} ${path} → ${res.text}`).toBe(404)
      expect(res.body.error.code).toBe('not_found')
    }
    // A new family of operations needs a fixture below, so its isolation is tested the day it is declared.
    expect(missing, 'operations without a foreign-id fixture').toEqual([])
  })

})
