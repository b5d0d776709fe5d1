/**
 * Who may call what, for every operation of the registry and every doorway: no key is 401; each
 * set of scopes, on an organisation key, a reseller key and a service key, succeeds exactly where the catalog
 * says `callable` and is refused with `insufficient_scope` or `wrong_key_type` elsewhere; MCP
 * offers exactly the callable tools. Each check sends a request the operation accepts (see
 * world.ts), so a success is a real success and a refusal can only come from the key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toolNameOf } from '../../src/mcp/tool-names.js'
import type { Operation } from '../../src/core/operation.js'
import { engines } from '../harness.js'
import { Coverage } from './coverage.js'
import { shippedModules } from '../../examples/main.js'
import { changedTables, snapshotTables } from './database-dump.js'
import { dashboardRequest, dashboardRoutes, missingDashboardFixtures, organisationRoutes, visit } from './dashboard-routes.js'
import { listTools, mcpDoorway, restDoorway, type Doorway } from './doorways.js'
import { fillPath, scopeSets, startWorld, type Tenant, type World } from './world.js'

describe.each(engines)('authorization matrix (%s)', (engine) => {
  let world: World
  let tenant: Tenant
  let doorways: Doorway[]
  const coverage = new Coverage(`authorization matrix (${engine})`)

  beforeAll(async () => {
    world = await startWorld(engine)
    tenant = await world.tenant('alpha')
    doorways = [restDoorway(world.server.url), mcpDoorway(world.server.url, world.api.errorStatus)]
  })
  afterAll(async () => {
    coverage.print()
    await world?.close()
  })

  it('every operation accepts the request the matrices send it, with a key holding every scope', async () => {
    expect(world.missingFixtures(), 'operations whose path parameters no fixture family fills').toEqual([])
    const failures: string[] = []
    for (const op of world.operations) {
      const key = world.keyFor(op, tenant)
      for (const doorway of doorways) {
        const answer = await doorway.call(op, key, await world.validCall(op, tenant))
        coverage.count(`${doorway.name} valid request`, op.id)
        if (!answer.ok) failures.push(`${doorway.name} ${op.id}: ${answer.status} ${answer.text.slice(0, 200)}`)
      }
    }
    expect(failures).toEqual([])
  })

  it('no key: every operation answers 401 missing_api_key, on REST and on MCP (with WWW-Authenticate)', async () => {
    const failures: string[] = []
    for (const op of world.operations) {
      const call = await world.validCall(op, tenant, { fresh: false })
      const res = await fetch(`${world.server.url}/api/v1${fillPath(op.path, call.params)}`, {
        method: op.method.toUpperCase(),
        headers: call.body === undefined ? {} : { 'content-type': 'application/json' },
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
      })
      const body = (await res.json()) as { error?: { code?: string; request_id?: string } }
      coverage.count('rest no key', op.id)
      if (res.status !== 401 || body.error?.code !== 'missing_api_key') failures.push(`rest ${op.id}: ${res.status} ${body.error?.code}`)
      if (body.error?.request_id !== res.headers.get('x-request-id')) failures.push(`rest ${op.id}: request_id differs from X-Request-Id`)
    }
    const mcp = await fetch(`${world.server.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    coverage.count('mcp no key', 'tools/list')
    expect(mcp.status).toBe(401)
    expect(mcp.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(((await mcp.json()) as { error: { code: string } }).error.code).toBe('missing_api_key')
    expect(failures).toEqual([])
  })

  // About 3,300 requests and 1,500 fresh resources per engine: 20 s alone, a minute or two beside the other suites.
  it('each scope set × every operation × REST and MCP: success exactly when the catalog says callable', { timeout: 300_000 }, async () => {
    const failures: string[] = []
    for (const kind of ['org', 'reseller', 'service'] as const) {
      for (const scopes of scopeSets) {
        const key = await world.mintKey(kind, tenant, scopes)
        const catalog = await world.server.api('GET', '/catalog', { key })
        expect(catalog.status).toBe(200)
        const callable = new Map<string, boolean>(catalog.body.data.map((row: { id: string; callable: boolean }) => [row.id, row.callable]))
        const label = `${kind} key [${scopes.join(' ')}]`

        const tools = await listTools(world.server.url, key)
        const offered = world.operations.filter((op) => callable.get(op.id) === true).map((op) => toolNameOf(op))
        if (JSON.stringify([...tools].sort()) !== JSON.stringify([...offered].sort())) failures.push(`${label}: MCP tools ${tools.join(',')} ≠ callable ${offered.join(',')}`)

        for (const op of world.operations) {
          const expected = callable.get(op.id) === true
          // The catalog lists the operations of the key's kind; the other kind's are refused for their kind.
          const sameKind = op.audience === 'any' || op.audience === kind
          if (callable.has(op.id) !== sameKind) failures.push(`${label}: catalog ${callable.has(op.id) ? 'lists' : 'omits'} ${op.id}`)
          for (const doorway of doorways) {
            const answer = await doorway.call(op, key, await world.validCall(op, tenant, { fresh: expected ? undefined : false }))
            coverage.count(`${doorway.name} scope sets`, op.id)
            const refusal = sameKind ? 'insufficient_scope' : 'wrong_key_type'
            if (expected && !answer.ok) failures.push(`${doorway.name} ${label} ${op.id}: callable but ${answer.status} ${answer.code}`)
            if (!expected && (answer.status !== 403 || answer.code !== refusal)) failures.push(`${doorway.name} ${label} ${op.id}: expected 403 ${refusal}, got ${answer.status} ${answer.code}`)
            if (!expected && answer.requestIdInBody !== answer.requestIdHeader) failures.push(`${doorway.name} ${label} ${op.id}: request_id ≠ X-Request-Id`)
          }
        }
      }
    }
    expect(failures).toEqual([])
  })

  it('an insufficient_scope refusal names the scope the operation needs', async () => {
    const failures: string[] = []
    const scoped = world.operations.filter((op): op is Operation & { scope: string } => op.scope !== null && op.audience !== 'any')
    for (const op of scoped) {
      const others = ['read', 'draft', 'actions', 'admin'].filter((s) => s !== op.scope)
      const key = await world.mintKey(op.audience === 'reseller' ? 'reseller' : op.audience === 'service' ? 'service' : 'org', tenant, others, 'all but one')
      const answer = await doorways[0]!.call(op, key, await world.validCall(op, tenant, { fresh: false }))
      if (!answer.body?.error?.message?.includes(op.scope)) failures.push(`${op.id}: "${answer.body?.error?.message}"`)
    }
    expect(failures).toEqual([])
  })

  it("dashboard forms: an Owner's are accepted, a Member's are refused and write nothing", { timeout: 300_000 }, async () => {
    const pages = (await shippedModules()).flatMap((m) => m.pages ?? []).map((p) => p.path)
    const routes = organisationRoutes(dashboardRoutes(world.server, pages)).filter((r) => r.method === 'POST')
    expect(missingDashboardFixtures(routes), 'dashboard routes the matrices cannot call').toEqual([])
    const owner = await world.member(tenant, 'owner')
    const reader = await world.member(tenant, 'member')
    const failures: string[] = []
    for (const route of routes) {
      const allowed = await visit(owner, route, await dashboardRequest(world, route, tenant))
      coverage.count('dashboard owner', `${route.method} ${route.path}`)
      if (allowed.status >= 400) failures.push(`owner ${route.path}: ${allowed.status}`)
      const request = await dashboardRequest(world, route, tenant)
      const before = await snapshotTables(world.server.db.handle.db, engine)
      const refused = await visit(reader, route, request)
      const changed = changedTables(before, await snapshotTables(world.server.db.handle.db, engine), ['sessions'])
      coverage.count('dashboard member', `${route.method} ${route.path}`)
      if (refused.status !== 403) failures.push(`member ${request.path}: ${refused.status}`)
      if (changed.length) failures.push(`member ${request.path}: changed ${changed.join(', ')}`)
    }
    expect(failures).toEqual([])
  })
})
