/**
 * A suspended organisation is refused everywhere: every operation on REST and MCP answers 403
 * `organization_suspended`, every dashboard form that writes is refused, and its public pages (signing, direct
 * links) say it is unavailable; none of them writes anything. Every request is prepared while the
 * organisation is active and is one it accepted then, so a refusal can only come from suspension.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PageSpec } from '../../src/core/module.js'
import { shippedModules } from '../../examples/main.js'
import { engines } from '../harness.js'
import type { Visitor } from '../visitor.js'
import { Coverage } from './coverage.js'
import { changedTables, snapshotTables } from './database-dump.js'
import { dashboardRequest, dashboardRoutes, missingDashboardFixtures, organisationRoutes, readingForms, visit } from './dashboard-routes.js'
import { mcpDoorway, restDoorway } from './doorways.js'
import { watchWrites } from './write-watch.js'
import { startWorld, type Call, type Tenant, type World } from './world.js'

/** A fresh token for each public page, by the page's first path segment. */
const pageTokens: Record<string, (world: World, tenant: Tenant) => Promise<string>> = {
  sign: async (world, tenant) => {
    const call = await world.validCall(world.server.portico.registry.get('documents.send')!, tenant)
    const sent = await world.server.api('POST', `/documents/${call.params.id}/send`, { key: tenant.key })
    return new URL(sent.body.recipients[0].signing_url).pathname.split('/')[2]!
  },
  d: async (world, tenant) => {
    const call = await world.validCall(world.server.portico.registry.get('templates.direct_link')!, tenant)
    const link = await world.server.api('POST', `/templates/${call.params.id}/direct-link`, { key: tenant.key })
    return new URL(link.body.url).pathname.split('/')[2]!
  },
}

/** What a visitor types into each public form. */
const pageForms: Record<string, Record<string, string>> = {
  'POST /sign/:token': { name: 'Sam Signer', action: 'sign', consent: 'yes' },
  'POST /d/:token': { name: 'Dee Visitor', email: 'dee@example.com' },
}

describe.each(engines)('suspended organisation (%s)', (engine) => {
  let world: World
  let tenant: Tenant
  let pages: PageSpec[]
  const coverage = new Coverage(`suspension (${engine})`, 'operations or routes')

  beforeAll(async () => {
    world = await startWorld(engine)
    tenant = await world.tenant('suspended')
    // A page without a credential in its path (the signing page's script and font files) belongs to no organisation.
    pages = (await shippedModules()).flatMap((m) => m.pages ?? []).filter((p) => p.secretParams?.length)
  })
  afterAll(async () => {
    coverage.print()
    await world?.close()
  })

  it('is refused on every doorway: API keys, MCP, dashboard forms and public pages, and nothing is written', async () => {
    const doorways = [restDoorway(world.server.url), mcpDoorway(world.server.url, world.api.errorStatus)]
    const ops = world.operations.filter((op) => op.audience !== 'reseller')
    const calls = new Map<string, Call>()
    // Nothing may run once suspended, so the operations can share their resources (one endpoint, one document…).
    for (const op of ops) for (const d of doorways) calls.set(`${d.name} ${op.id}`, await world.validCall(op, tenant, { fresh: false }))

    const routes = organisationRoutes(dashboardRoutes(world.server, pages.map((p) => p.path))).filter((r) => r.method === 'POST')
    expect(missingDashboardFixtures(routes), 'dashboard routes the matrices cannot call').toEqual([])
    const owner: Visitor = await world.member(tenant, 'owner')
    const forms = []
    for (const route of routes) forms.push(await dashboardRequest(world, route, tenant))

    const missingPages = pages.filter((p) => !pageTokens[p.path.split('/')[1]!] || (p.method === 'post' && !pageForms[`POST ${p.path}`]))
    expect(missingPages.map((p) => `${p.method} ${p.path}`), 'public pages without a token fixture or a form').toEqual([])
    const pageCalls = await Promise.all(
      pages.map(async (p) => ({ page: p, path: p.path.replace(':token', await pageTokens[p.path.split('/')[1]!]!(world, tenant)) })),
    )
    // Every prepared page answers while the organisation is active, so what follows is suspension's doing.
    for (const { page, path } of pageCalls.filter((c) => c.page.method === 'get')) {
      const res = await fetch(`${world.server.url}${path}`)
      expect(res.status, `${page.path} before suspension`).toBe(200)
    }

    const suspended = await world.server.api('POST', `/reseller/organizations/${tenant.orgId}/suspend`, { key: tenant.reseller.key })
    expect(suspended.status, suspended.text).toBe(200)
    const watch = await watchWrites(world.server.db.handle.db, engine)
    const failures: string[] = []

    for (const op of ops) {
      for (const doorway of doorways) {
        const answer = await doorway.call(op, tenant.key, calls.get(`${doorway.name} ${op.id}`)!)
        const written = await watch.take()
        coverage.count(doorway.name, op.id)
        if (answer.status !== 403 || answer.code !== 'organization_suspended') failures.push(`${doorway.name} ${op.id}: ${answer.status} ${answer.code}`)
        if (written.length) failures.push(`${doorway.name} ${op.id}: wrote ${written.map((w) => w.table).join(', ')}`)
      }
    }

    // The deployment's service key is no key of the organisation's, and records nothing for it either.
    const posted = await world.server.api('POST', '/platform/events', { key: world.service.key, body: calls.get('rest platform.post_event')!.body })
    if (posted.status !== 403 || posted.body.error?.code !== 'organization_suspended') failures.push(`service key platform.post_event: ${posted.status} ${posted.text.slice(0, 200)}`)
    const verified = await world.server.api('POST', '/platform/verify', { key: world.service.key, body: { key: tenant.key } })
    if (verified.status !== 200 || verified.body.code !== 'organization_suspended') failures.push(`service key platform.verify_key: ${verified.status} ${verified.text.slice(0, 200)}`)
    const written = await watch.take()
    if (written.length) failures.push(`service key: wrote ${written.map((w) => w.table).join(', ')}`)

    for (const [i, route] of routes.entries()) {
      const reading = readingForms.includes(`${route.method} ${route.path}`)
      const before = await snapshotTables(world.server.db.handle.db, engine)
      const answer = await visit(owner, route, forms[i]!)
      const changed = changedTables(before, await snapshotTables(world.server.db.handle.db, engine), reading ? ['sessions', 'audit_log'] : ['sessions'])
      coverage.count('dashboard', `${route.method} ${route.path}`)
      // A suspended organisation's people still read; every other form is refused.
      if (!reading && (answer.status < 400 || answer.status >= 500)) failures.push(`dashboard ${route.method} ${forms[i]!.path}: ${answer.status}`)
      if (changed.length) failures.push(`dashboard ${route.method} ${forms[i]!.path}: changed ${changed.join(', ')}`)
    }

    for (const { page, path } of pageCalls) {
      const before = await snapshotTables(world.server.db.handle.db, engine)
      const form = page.method === 'post' ? pageForms[`POST ${page.path}`] : undefined
      const res = await fetch(`${world.server.url}${path}`, { method: page.method.toUpperCase(), body: form && new URLSearchParams(form), redirect: 'manual' })
      const text = await res.text()
      const changed = changedTables(before, await snapshotTables(world.server.db.handle.db, engine))
      coverage.count('public pages', `${page.method} ${page.path}`)
      if (res.status < 400 || res.status >= 500) failures.push(`page ${page.method} ${page.path}: ${res.status}`)
      else if (!/unavailable/i.test(text) && !page.path.endsWith('.pdf')) failures.push(`page ${page.method} ${page.path}: does not say the organisation is unavailable`)
      if (changed.length) failures.push(`page ${page.method} ${page.path}: changed ${changed.join(', ')}`)
    }
    expect(failures).toEqual([])
  })
})
