import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { createReseller } from '../cli.js'
import type { Operation } from '../core/operation.js'

interface Reseller {
  resellerId: string
  key: string
}

const resellerOps = (server: TestServer) => server.portico.registry.all().filter((op) => op.audience === 'reseller')

/** A body each operation accepts, so a 404 can only come from the organisation id. */
const validBodies: Record<string, unknown> = {
  'reseller.users.create': { email: 'probe@example.test', name: 'Probe', role: 'member' },
  'reseller.org_keys.create': { name: 'probe' },
  'reseller.org_keys.import': { hash: 'ab'.repeat(32), prefix: 'probe_', name: 'probe' },
}

describe.each(engines)('resellers over HTTP (%s)', (engine) => {
  let server: TestServer
  let north: Reseller
  let south: Reseller

  const newReseller = async (name: string): Promise<Reseller> => {
    const { reseller, key } = await createReseller(server.db.handle, server.config, name)
    return { resellerId: reseller.id, key }
  }
  const createOrg = async (reseller: Reseller, body: Record<string, unknown>) => {
    const res = await server.api('POST', '/reseller/organizations', { key: reseller.key, body })
    expect(res.status, res.text).toBe(201)
    return res.body as { id: string; name: string; external_id: string | null; status: string }
  }
  /** An org key with every scope, minted by the reseller, to look at the organisation from inside. */
  const orgAdminKey = async (reseller: Reseller, orgId: string): Promise<string> => {
    const res = await server.api('POST', `/reseller/organizations/${orgId}/keys`, {
      key: reseller.key,
      body: { name: 'inside', scopes: ['read', 'draft', 'actions', 'admin'] },
    })
    expect(res.status, res.text).toBe(201)
    return res.body.key
  }

  beforeAll(async () => {
    server = await startServer({ engine, env: { PORTICO_AUTH_FAILURES_PER_MINUTE: '100000' } })
    north = await newReseller('North Partners')
    south = await newReseller('South Partners')
  })
  afterAll(() => server.close())

  it('prints rsk_ keys of the shared format that authenticate as resellers', async () => {
    expect(north.key).toMatch(/^rsk_[0-9A-Za-z]{48}$/)
    const health = await server.api('GET', '/health', { key: north.key })
    expect(health.status).toBe(200)
    expect(health.body.key).toMatchObject({ kind: 'reseller', reseller_id: north.resellerId, org_id: null, prefix: north.key.slice(0, 12) })
    expect(health.body.key.scopes).toEqual(['read', 'draft', 'actions', 'admin'])
  })

  it('provisions organisations that only their reseller can see', async () => {
    const a = await createOrg(north, { name: 'Acme', external_id: 'cust-1' })
    expect(a).toMatchObject({ object: 'organization', name: 'Acme', external_id: 'cust-1', status: 'active', rate_limits: {} })
    const b = await createOrg(south, { name: 'Globex', external_id: 'cust-1' })

    const got = await server.api('GET', `/reseller/organizations/${a.id}`, { key: north.key })
    expect(got.status).toBe(200)
    expect(got.body.id).toBe(a.id)

    const northList = await server.api('GET', '/reseller/organizations?limit=100', { key: north.key })
    expect(northList.body.data.map((o: { id: string }) => o.id)).toContain(a.id)
    expect(northList.body.data.map((o: { id: string }) => o.id)).not.toContain(b.id)
    const byExternal = await server.api('GET', '/reseller/organizations?external_id=cust-1', { key: south.key })
    expect(byExternal.body.data.map((o: { id: string }) => o.id)).toEqual([b.id])
  })

  it("answers 404 on every reseller operation naming another reseller's organisation, and changes nothing", async () => {
    const theirs = await createOrg(south, { name: 'Initech' })
    const theirKey = (await server.api('POST', `/reseller/organizations/${theirs.id}/keys`, { key: south.key, body: { name: 'theirs' } })).body
    const withId = resellerOps(server).filter((op) => op.path.startsWith('/reseller/organizations/{id}'))
    expect(withId.map((op) => op.id).sort()).toEqual(
      [
        'reseller.org_keys.create',
        'reseller.org_keys.import',
        'reseller.org_keys.list',
        'reseller.org_keys.revoke',
        'reseller.organizations.get',
        'reseller.organizations.resume',
        'reseller.organizations.suspend',
        'reseller.users.create',
        'reseller.users.list',
      ].sort(),
    )
    for (const op of withId) {
      const path = op.path.replace('{id}', theirs.id).replace('{key_id}', theirKey.id)
      const res = await server.api(op.method.toUpperCase(), path, { key: north.key, body: op.body ? (validBodies[op.id] ?? {}) : undefined })
      expect(res.status, `${op.id} → ${res.text}`).toBe(404)
      expect(res.body.error.code).toBe('not_found')
    }
    const still = await server.api('GET', `/reseller/organizations/${theirs.id}`, { key: south.key })
    expect(still.body.status).toBe('active')
    const users = await server.api('GET', `/reseller/organizations/${theirs.id}/users`, { key: south.key })
    expect(users.body.data).toEqual([])
    const inside = await orgAdminKey(south, theirs.id)
    const keys = await server.api('GET', '/keys?limit=100', { key: inside })
    expect(keys.body.data).toHaveLength(2)
    expect(keys.body.data.find((k: { id: string }) => k.id === theirKey.id).status).toBe('active')
  })

  it("lists and revokes an organisation's keys, audited in its log; another organisation's key is 404", async () => {
    const org = await createOrg(north, { name: 'Churned' })
    const other = await createOrg(north, { name: 'Stays' })
    const minted = await server.api('POST', `/reseller/organizations/${org.id}/keys`, { key: north.key, body: { name: 'Integration' } })
    const inside = await orgAdminKey(north, org.id)
    const elsewhere = await orgAdminKey(north, other.id)
    const ownKey = (await server.api('POST', '/keys', { key: inside, body: { name: 'made inside' } })).body

    const listed = await server.api('GET', `/reseller/organizations/${org.id}/keys?limit=2`, { key: north.key })
    expect(listed.status).toBe(200)
    expect(listed.text).not.toContain(minted.body.key)
    expect(listed.body.data.map((k: { name: string }) => k.name)).toEqual(['made inside', 'inside'])
    const rest = await server.api('GET', `/reseller/organizations/${org.id}/keys?limit=2&cursor=${listed.body.next_cursor}`, { key: north.key })
    expect(rest.body.data.map((k: { name: string }) => k.name)).toEqual(['Integration'])
    expect(rest.body.data[0].created_by.type).toBe('reseller_key')
    expect(listed.body.data[0].created_by.type).toBe('org_key')

    // A key of another organisation of the same reseller, named through this organisation: 404.
    const elsewhereId = (await server.api('GET', '/health', { key: elsewhere })).body.key.id
    const crossed = await server.api('DELETE', `/reseller/organizations/${org.id}/keys/${elsewhereId}`, { key: north.key })
    expect(crossed.status).toBe(404)
    expect((await server.api('GET', '/health', { key: elsewhere })).status).toBe(200)

    const revoked = await server.api('DELETE', `/reseller/organizations/${org.id}/keys/${ownKey.id}`, { key: north.key })
    expect(revoked.status, revoked.text).toBe(200)
    expect(revoked.body.status).toBe('revoked')
    const refused = await server.api('GET', '/health', { key: ownKey.key })
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe('api_key_revoked')
    expect((await server.api('DELETE', `/reseller/organizations/${org.id}/keys/${ownKey.id}`, { key: north.key })).status).toBe(200)

    const audit = await server.api('GET', '/audit-log?limit=100', { key: inside })
    const entries = audit.body.data.filter((e: { action: string; target: { id: string } | null }) => e.action === 'api_key.revoked' && e.target?.id === ownKey.id)
    expect(entries).toHaveLength(1)
    expect(entries[0].actor).toMatchObject({ type: 'reseller_key' })
  })

  it('answers 409 for an external_id the reseller already used, even when two requests race', async () => {
    await createOrg(north, { name: 'First', external_id: 'dup-1' })
    const again = await server.api('POST', '/reseller/organizations', { key: north.key, body: { name: 'Second', external_id: 'dup-1' } })
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('conflict')
    expect(again.body.error.fields).toHaveProperty('external_id')

    const raced = await Promise.all(
      Array.from({ length: 4 }, (_, i) => server.api('POST', '/reseller/organizations', { key: north.key, body: { name: `Race ${i}`, external_id: 'race-1' } })),
    )
    expect(raced.map((r) => r.status).sort()).toEqual([201, 409, 409, 409])
    const listed = await server.api('GET', '/reseller/organizations?external_id=race-1', { key: north.key })
    expect(listed.body.data).toHaveLength(1)

    // No external_id at all is never a conflict.
    await createOrg(north, { name: 'Anonymous 1' })
    await createOrg(north, { name: 'Anonymous 2' })
  })

  it('validates input, including limit-class names', async () => {
    const bad = await server.api('POST', '/reseller/organizations', {
      key: north.key,
      body: { name: '', rate_limits: { general: { limit: 0, window_seconds: 60 } } },
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('validation_error')
    expect(Object.keys(bad.body.error.fields)).toEqual(expect.arrayContaining(['name', 'rate_limits.general.limit']))
    const unknownClass = await server.api('POST', '/reseller/organizations', {
      key: north.key,
      body: { name: 'Typo', rate_limits: { genral: { limit: 5, window_seconds: 60 } } },
    })
    expect(unknownClass.status).toBe(400)
    expect(unknownClass.body.error.fields).toHaveProperty(['rate_limits.genral'])
    const badId = await server.api('GET', '/reseller/organizations/not-a-uuid', { key: north.key })
    expect(badId.status).toBe(400)
    const org = await createOrg(north, { name: 'Validated' })
    const badUser = await server.api('POST', `/reseller/organizations/${org.id}/users`, { key: north.key, body: { email: 'nope', name: 'X', role: 'boss' } })
    expect(badUser.status).toBe(400)
    expect(Object.keys(badUser.body.error.fields).sort()).toEqual(['email', 'role'])
  })

  it("applies the organisation's limit-class overrides to its keys", async () => {
    const org = await createOrg(north, { name: 'Small plan', rate_limits: { general: { limit: 5, window_seconds: 60 } } })
    expect(org).toMatchObject({ rate_limits: { general: { limit: 5, window_seconds: 60 } } })
    const key = await orgAdminKey(north, org.id)
    const res = await server.api('GET', '/health', { key })
    expect(res.headers.get('ratelimit-policy')).toBe('"general";q=5;w=60')
  })

  it("mints org keys that work on the org's API and are listed there with their creator", async () => {
    const org = await createOrg(north, { name: 'Keyed', external_id: 'keyed' })
    const minted = await server.api('POST', `/reseller/organizations/${org.id}/keys`, { key: north.key, body: { name: 'Integration', expires_in: '90d' } })
    expect(minted.status).toBe(201)
    expect(minted.body.key).toMatch(/^ptk_[0-9A-Za-z]{48}$/)
    expect(minted.body).toMatchObject({ org_id: org.id, scopes: ['read'], status: 'active' })

    const health = await server.api('GET', '/health', { key: minted.body.key })
    expect(health.status).toBe(200)
    expect(health.body.key.org_id).toBe(org.id)

    const northKeyId = (await server.api('GET', '/health', { key: north.key })).body.key.id
    const inside = await orgAdminKey(north, org.id)
    const listed = await server.api('GET', '/keys?limit=100', { key: inside })
    expect(listed.text).not.toContain(minted.body.key)
    const row = listed.body.data.find((k: { id: string }) => k.id === minted.body.id)
    expect(row.created_by).toEqual({ type: 'reseller_key', id: northKeyId })
  })

  it("refuses to mint org keys with scopes beyond the reseller key's own", async () => {
    const org = await createOrg(north, { name: 'Scoped' })
    const narrow = await server.api('POST', '/reseller/keys', { key: north.key, body: { name: 'provisioner', scopes: ['read', 'admin'] } })
    expect(narrow.status).toBe(201)
    const tooMuch = await server.api('POST', `/reseller/organizations/${org.id}/keys`, { key: narrow.body.key, body: { name: 'x', scopes: ['draft'] } })
    expect(tooMuch.status).toBe(403)
    expect(tooMuch.body.error.code).toBe('insufficient_scope')
    const fine = await server.api('POST', `/reseller/organizations/${org.id}/keys`, { key: narrow.body.key, body: { name: 'x', scopes: ['read', 'admin'] } })
    expect(fine.status).toBe(201)
    const readOnly = await server.api('POST', '/reseller/keys', { key: north.key, body: { name: 'reporting' } })
    expect(readOnly.body.scopes).toEqual(['read'])
    expect((await server.api('GET', '/reseller/organizations', { key: readOnly.body.key })).status).toBe(200)
    const write = await server.api('POST', '/reseller/organizations', { key: readOnly.body.key, body: { name: 'nope' } })
    expect(write.status).toBe(403)
    expect(write.body.error.code).toBe('insufficient_scope')
  })

  it('provisions users with a one-time setup link, never repeated in a replay', async () => {
    const org = await createOrg(north, { name: 'Peopled' })
    const headers = { 'Idempotency-Key': `user-${engine}` }
    const body = { email: `Ada.${engine}@Example.test`, name: 'Ada', role: 'owner' }
    const res = await server.api('POST', `/reseller/organizations/${org.id}/users`, { key: north.key, body, headers })
    expect(res.status, res.text).toBe(201)
    expect(res.body).toMatchObject({ object: 'user', org_id: org.id, email: `ada.${engine}@example.test`, name: 'Ada', role: 'owner', status: 'invited' })
    expect(res.body.setup_url).toMatch(/\/setup\/[A-Za-z0-9_-]{20,}$/)
    // No PORTICO_SMTP_URL here: nothing is e-mailed, and the link is for the reseller to hand over.
    expect(res.body.emailed).toBe(false)
    expect(Date.parse(res.body.setup_url_expires_at)).toBeGreaterThan(Date.now())

    const replay = await server.api('POST', `/reseller/organizations/${org.id}/users`, { key: north.key, body, headers })
    expect(replay.headers.get('idempotent-replayed')).toBe('true')
    expect(replay.body.user_id).toBe(res.body.user_id)
    expect(replay.body.setup_url).toBeNull()

    const twice = await server.api('POST', `/reseller/organizations/${org.id}/users`, { key: north.key, body })
    expect(twice.status).toBe(409)
    const member = await server.api('POST', `/reseller/organizations/${org.id}/users`, { key: north.key, body: { email: `bob.${engine}@example.test`, name: 'Bob' } })
    expect(member.body.role).toBe('member')

    const list = await server.api('GET', `/reseller/organizations/${org.id}/users?limit=1`, { key: north.key })
    expect(list.status).toBe(200)
    expect(list.body.data).toHaveLength(1)
    expect(list.body.data[0]).toMatchObject({ email: `bob.${engine}@example.test` })
    expect(list.body.data[0]).not.toHaveProperty('setup_url')
    const rest = await server.api('GET', `/reseller/organizations/${org.id}/users?limit=1&cursor=${list.body.next_cursor}`, { key: north.key })
    expect(rest.body.data.map((u: { email: string }) => u.email)).toEqual([`ada.${engine}@example.test`])
    expect(rest.body.next_cursor).toBeNull()
  })

  it("suspends an organisation: its keys answer 403 organization_suspended on the next request, until resumed", async () => {
    const org = await createOrg(north, { name: 'Late payer' })
    const key = await orgAdminKey(north, org.id)
    // Warm the key cache, so the suspension has to drop it.
    expect((await server.api('GET', '/health', { key })).status).toBe(200)
    expect((await server.api('GET', '/keys', { key })).status).toBe(200)

    const suspended = await server.api('POST', `/reseller/organizations/${org.id}/suspend`, { key: north.key })
    expect(suspended.status).toBe(200)
    expect(suspended.body).toMatchObject({ id: org.id, status: 'suspended' })
    const blocked = await server.api('GET', '/health', { key })
    expect(blocked.status).toBe(403)
    expect(blocked.body.error.code).toBe('organization_suspended')
    expect((await server.api('POST', `/reseller/organizations/${org.id}/suspend`, { key: north.key })).body.status).toBe('suspended')
    const filtered = await server.api('GET', '/reseller/organizations?status=suspended&limit=100', { key: north.key })
    expect(filtered.body.data.map((o: { id: string }) => o.id)).toContain(org.id)
    // The reseller itself is not suspended and keeps working on the organisation.
    expect((await server.api('GET', `/reseller/organizations/${org.id}/users`, { key: north.key })).status).toBe(200)

    const resumed = await server.api('POST', `/reseller/organizations/${org.id}/resume`, { key: north.key })
    expect(resumed.body.status).toBe('active')
    expect((await server.api('GET', '/health', { key })).status).toBe(200)
  })

  it('records every reseller action in the audit log of the organisation it touched', async () => {
    const org = await createOrg(north, { name: 'Audited', external_id: 'audited' })
    await server.api('POST', `/reseller/organizations/${org.id}/users`, { key: north.key, body: { email: `audit.${engine}@example.test`, name: 'Au' } })
    const inside = await orgAdminKey(north, org.id)
    await server.api('POST', `/reseller/organizations/${org.id}/suspend`, { key: north.key })
    await server.api('POST', `/reseller/organizations/${org.id}/resume`, { key: north.key })

    const log = await server.api('GET', '/audit-log?limit=100', { key: inside })
    expect(log.status).toBe(200)
    const actions = log.body.data.map((e: { action: string }) => e.action)
    expect(actions).toEqual(
      expect.arrayContaining(['organization.created', 'member.added', 'api_key.created', 'organization.suspended', 'organization.resumed']),
    )
    for (const entry of log.body.data) {
      expect(entry.actor.type).toBe('reseller_key')
      expect(entry.actor.label).toContain(north.key.slice(0, 12))
    }
    expect(log.text).not.toContain(north.key)
    expect(log.text).not.toContain(inside)

    // Another organisation's log holds none of it.
    const other = await createOrg(north, { name: 'Unrelated' })
    const otherLog = await server.api('GET', '/audit-log?limit=100', { key: await orgAdminKey(north, other.id) })
    expect(otherLog.body.data.some((e: { target: { id: string } | null }) => e.target?.id === org.id)).toBe(false)
  })

  it('answers 403 wrong_key_type for an org key on every reseller operation, and a reseller key on org operations', async () => {
    const org = await server.createOrg('Plain org')
    for (const op of resellerOps(server)) {
      const path = op.path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000')
      const res = await server.api(op.method.toUpperCase(), path, { key: org.key, body: op.body ? {} : undefined })
      expect(res.status, op.id).toBe(403)
      expect(res.body.error.code, op.id).toBe('wrong_key_type')
    }
    const orgOps = server.portico.registry.all().filter((op: Operation) => op.audience === 'org')
    expect(orgOps.length).toBeGreaterThan(0)
    for (const op of orgOps) {
      const path = op.path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000')
      const res = await server.api(op.method.toUpperCase(), path, { key: north.key, body: op.body ? {} : undefined })
      expect(res.status, op.id).toBe(403)
      expect(res.body.error.code, op.id).toBe('wrong_key_type')
    }
  })

  it("lists reseller operations in a reseller key's catalog, and org operations in an org key's", async () => {
    const reseller = await server.api('GET', '/catalog', { key: north.key })
    const ids: string[] = reseller.body.data.map((o: { id: string }) => o.id)
    for (const op of resellerOps(server)) expect(ids).toContain(op.id)
    expect(ids).not.toContain('keys.create')
    expect(ids).toContain('platform.health')
    expect(reseller.body.data.find((o: { id: string }) => o.id === 'reseller.organizations.create')).toMatchObject({
      path: '/api/v1/reseller/organizations',
      scope: 'admin',
      callable: true,
    })
    const org = await server.createOrg('Catalog org')
    const orgIds: string[] = (await server.api('GET', '/catalog', { key: org.key })).body.data.map((o: { id: string }) => o.id)
    expect(orgIds).toContain('keys.create')
    expect(orgIds.some((id) => id.startsWith('reseller.'))).toBe(false)
  })

  it('manages its own keys with the same show-once, revoke and roll rules', async () => {
    const minted = await server.api('POST', '/reseller/keys', { key: north.key, body: { name: 'ops', scopes: ['read', 'admin'] } })
    expect(minted.body.key).toMatch(/^rsk_[0-9A-Za-z]{48}$/)
    expect(minted.body).toMatchObject({ org_id: null, reseller_id: north.resellerId })
    const list = await server.api('GET', '/reseller/keys?limit=100', { key: north.key })
    expect(list.text).not.toContain(minted.body.key)
    expect(list.body.data.map((k: { id: string }) => k.id)).toContain(minted.body.id)

    // South cannot see, revoke or roll North's keys.
    for (const [method, path] of [
      ['GET', `/reseller/keys/${minted.body.id}`],
      ['DELETE', `/reseller/keys/${minted.body.id}`],
      ['POST', `/reseller/keys/${minted.body.id}/roll`],
    ] as const) {
      const res = await server.api(method, path, { key: south.key, body: method === 'POST' ? {} : undefined })
      expect(res.status, path).toBe(404)
    }

    const rolled = await server.api('POST', `/reseller/keys/${minted.body.id}/roll`, { key: north.key, body: {} })
    expect(rolled.status).toBe(201)
    expect(rolled.body.rolled_from).toBe(minted.body.id)
    expect((await server.api('GET', '/health', { key: minted.body.key })).body.error.code).toBe('api_key_revoked')
    expect((await server.api('GET', '/reseller/organizations', { key: rolled.body.key })).status).toBe(200)

    const revoked = await server.api('DELETE', `/reseller/keys/${rolled.body.id}`, { key: north.key })
    expect(revoked.body.status).toBe('revoked')
    const after = await server.api('GET', '/reseller/organizations', { key: rolled.body.key })
    expect(after.status).toBe(403)
    expect(after.body.error.code).toBe('api_key_revoked')
  })

  it('documents the reseller operations under their own tag and security scheme', async () => {
    const res = await fetch(`${server.url}/api/v1/openapi.json`)
    const doc = (await res.json()) as {
      tags: { name: string }[]
      paths: Record<string, Record<string, { tags: string[]; security: Record<string, string[]>[] }>>
    }
    expect(doc.tags.map((t) => t.name)).toContain('Resellers')
    for (const op of resellerOps(server)) {
      const entry = doc.paths[op.path]?.[op.method]
      expect(entry, op.id).toBeDefined()
      expect(entry!.tags).toEqual(['Resellers'])
      expect(entry!.security).toEqual([{ resellerAuth: [] }])
    }
  })
})
