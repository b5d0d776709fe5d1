/**
 * Another organisation's ids, on every operation with a path parameter and every dashboard route
 * with one: 404 `not_found`, nothing of the other organisation (its id, its reseller's, the names
 * its resources carry) in the answer, and nothing written. The owner's resources are made for
 * each check, and the request is one the owner's own key would have had accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shippedModules } from '../../examples/main.js'
import { engines } from '../harness.js'
import type { Visitor } from '../visitor.js'
import { Coverage } from './coverage.js'
import { changedTables, snapshotTables } from './database-dump.js'
import { dashboardRequest, dashboardRoutes, missingDashboardFixtures, routeParams, visit, type DashboardRoute } from './dashboard-routes.js'
import { mcpDoorway, restDoorway, type Doorway } from './doorways.js'
import { watchWrites, type WriteWatch } from './write-watch.js'
import { startWorld, type Tenant, type World } from './world.js'

describe.each(engines)('isolation between organisations (%s)', (engine) => {
  let world: World
  let caller: Tenant
  let owner: Tenant
  let watch: WriteWatch
  let doorways: Doorway[]
  let routes: DashboardRoute[]
  const coverage = new Coverage(`isolation (${engine})`)
  const dashboardCoverage = new Coverage(`isolation, dashboard (${engine})`, 'routes')

  /** Whatever the answer shows of the owner: its organisation, its reseller, its resources' names. */
  const leaks = (text: string) => [owner.marker, owner.orgId, owner.reseller.id].filter((s) => text.includes(s))

  beforeAll(async () => {
    world = await startWorld(engine)
    caller = await world.tenant('caller')
    owner = await world.tenant('owner')
    doorways = [restDoorway(world.server.url), mcpDoorway(world.server.url, world.api.errorStatus)]
    const pages = (await shippedModules()).flatMap((m) => m.pages ?? []).map((p) => p.path)
    routes = dashboardRoutes(world.server, pages)
    watch = await watchWrites(world.server.db.handle.db, world.server.db.handle.dialect)
  })
  afterAll(async () => {
    coverage.print()
    dashboardCoverage.print()
    await world?.close()
  })

  it("every operation with an id in its path: another organisation's resource is 404 not_found on REST and MCP", async () => {
    expect(world.missingFixtures(), 'operations whose path parameters no fixture family fills').toEqual([])
    const failures: string[] = []
    for (const op of world.operations.filter((o) => o.params)) {
      const key = op.audience === 'reseller' ? caller.reseller.key : caller.key
      for (const doorway of doorways) {
        const call = await world.validCall(op, owner)
        await watch.take()
        const answer = await doorway.call(op, key, call)
        const written = await watch.take()
        coverage.count(doorway.name, op.id)
        const where = `${doorway.name} ${op.id} ${JSON.stringify(call.params)}`
        if (answer.status !== 404 || answer.code !== 'not_found') failures.push(`${where}: ${answer.status} ${answer.text.slice(0, 200)}`)
        if (leaks(answer.text).length) failures.push(`${where}: the answer shows ${leaks(answer.text).join(', ')}`)
        if (written.length) failures.push(`${where}: wrote ${written.map((w) => `${w.op} ${w.table}`).join(', ')}`)
      }
    }
    expect(failures).toEqual([])
  })

  it("every dashboard route with an id in its path: another organisation's resource is 404, shows nothing of it, writes nothing", async () => {
    expect(missingDashboardFixtures(routes), 'dashboard routes the matrices cannot call').toEqual([])
    const withIds = routes.filter((r) => routeParams(r.path).length > 0)
    expect(withIds.length).toBeGreaterThan(5)
    const visitor: Visitor = await world.member(caller, 'owner')
    const failures: string[] = []
    for (const route of withIds) {
      const request = await dashboardRequest(world, route, owner, caller)
      const before = await snapshotTables(world.server.db.handle.db, engine)
      const answer = await visit(visitor, route, request)
      // The visit itself may refresh the caller's session; nothing else may change.
      const changed = changedTables(before, await snapshotTables(world.server.db.handle.db, engine), ['sessions'])
      dashboardCoverage.count('dashboard', `${route.method} ${route.path}`)
      const where = `${route.method} ${request.path}`
      if (answer.status !== 404) failures.push(`${where}: ${answer.status}`)
      if (leaks(answer.text).length) failures.push(`${where}: the page shows ${leaks(answer.text).join(', ')}`)
      if (changed.length) failures.push(`${where}: changed ${changed.join(', ')}`)
    }
    expect(failures).toEqual([])
  })
})
