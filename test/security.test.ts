import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Operation } from '../src/core/operation.js'
import { scopes } from '../src/core/scopes.js'
import { shippedModules } from '../src/main.js'
import { startServer, type TestServer } from './harness.js'

/** A path with every parameter filled by a well-formed id that exists nowhere. */
function concretePath(op: Operation): string {
  return op.path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000')
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

  it('every operation with an id in its path answers 404 not_found for an id that is not the caller\'s', async () => {
    for (const op of server.portico.registry.all().filter((o) => o.params && o.audience === 'org')) {
      const res = await server.api(op.method.toUpperCase(), concretePath(op), { key: org.key, body: op.body ? {} : undefined })
      // Validation of the body may come first for a malformed body; an empty body must never reveal existence.
      expect([400, 404], `${op.id} → ${res.status} ${res.text}`).toContain(res.status)
      if (res.status === 404) expect(res.body.error.code).toBe('not_found')
    }
  })
})
