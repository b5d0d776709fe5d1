/**
 * One pipeline, three doorways: for every operation of the registry, a dashboard Member's session
 * (scopes `read`), an MCP call and a REST call with a key of the same scopes get the same answer:
 * the same success, or the same refusal code. The dashboard doorway is what its pages call (the
 * executor with the session's principal), reached through the Member's real session. And no page
 * a Member is shown holds a webhook secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Operation } from '../../src/core/operation.js'
import { principalOf } from '../../src/dashboard/kit.js'
import { SessionStore } from '../../src/dashboard/session-store.js'
import { ApiError } from '../../src/core/errors.js'
import { engines } from '../harness.js'
import { Coverage } from './coverage.js'
import { mcpDoorway, restDoorway, type Doorway } from './doorways.js'
import { startWorld, type Call, type Tenant, type World } from './world.js'
import type { Visitor } from '../visitor.js'

interface Outcome {
  ok: boolean
  code: string | undefined
}

/** The operation as the dashboard runs it for this session: `kit.view` and `kit.act` are this call. */
async function dashboardCall(world: World, visitor: Visitor, op: Operation, call: Call): Promise<Outcome> {
  const token = [...visitor.cookies].find(([name]) => name.endsWith('portico_session'))?.[1]
  const session = await new SessionStore(world.server.db.handle.db).find(token)
  if (!session) throw new Error('the Member has no session')
  const x = await world.server.portico.executor.execute({
    op,
    doorway: 'dashboard',
    principal: principalOf({ session }),
    params: call.params,
    query: call.query,
    body: call.body === undefined ? undefined : { read: () => ({ value: call.body, raw: new Uint8Array() }), stream: () => ({ stream: new Blob([JSON.stringify(call.body)]).stream(), contentType: 'application/json' }) },
    meta: { requestId: 'req_equivalence', serverRequestId: 'req_equivalence', clientIp: '127.0.0.1', userAgent: undefined },
    at: Date.now(),
  })
  if (x.answer) return { ok: x.answer.status < 300, code: undefined }
  return { ok: false, code: x.error instanceof ApiError ? x.error.code : 'internal_error' }
}

describe.each(engines)('doorway equivalence (%s)', (engine) => {
  let world: World
  let tenant: Tenant
  let doorways: Doorway[]
  let member: Visitor
  let readKey: string
  const coverage = new Coverage(`doorway equivalence (${engine})`)

  beforeAll(async () => {
    world = await startWorld(engine)
    tenant = await world.tenant('equal')
    doorways = [restDoorway(world.server.url), mcpDoorway(world.server.url, world.api.errorStatus)]
    member = await world.member(tenant, 'member')
    readKey = (await world.server.api('POST', '/keys', { key: tenant.key, body: { name: 'as a Member', scopes: ['read'] } })).body.key
  })
  afterAll(async () => {
    coverage.print()
    await world?.close()
  })

  it('a Member session, MCP and REST with the same scopes get the same answer or refusal for every operation', { timeout: 300_000 }, async () => {
    const failures: string[] = []
    const seen = { ok: 0, refused: 0 }
    for (const op of world.operations) {
      // `/health` describes the calling key; a session has none to describe.
      if (op.id === 'platform.health') continue
      // Reads reuse one resource; each write gets fresh ones per doorway, so a delete cannot starve the next.
      const outcomes: [string, Outcome][] = []
      for (const doorway of doorways) {
        const answer = await doorway.call(op, readKey, await world.validCall(op, tenant))
        outcomes.push([doorway.name, { ok: answer.ok, code: answer.code }])
      }
      outcomes.push(['dashboard', await dashboardCall(world, member, op, await world.validCall(op, tenant))])
      coverage.count('operations', op.id)
      const [first, ...rest] = outcomes
      seen[first![1].ok ? 'ok' : 'refused']++
      for (const [name, outcome] of rest) {
        if (outcome.ok !== first![1].ok || outcome.code !== first![1].code) {
          failures.push(`${op.id}: ${first![0]} ${first![1].ok ? 'ok' : first![1].code}, ${name} ${outcome.ok ? 'ok' : outcome.code}`)
        }
      }
    }
    expect(failures).toEqual([])
    // Both kinds of answer were compared: the reads a Member may make, and the refusals of the rest.
    expect(seen.ok).toBeGreaterThan(5)
    expect(seen.refused).toBeGreaterThan(20)
  })

  it('no page a Member is shown holds a webhook secret', async () => {
    const hook = await world.server.api('POST', '/webhooks', { key: tenant.key, body: { url: 'http://127.0.0.1:9/hook', events: ['*'] } })
    expect(hook.status).toBe(201)
    const secret = hook.body.secret as string
    expect(secret).toMatch(/^whsec_/)
    const pages = ['/keys', '/webhooks', `/webhooks/${hook.body.id}`, '/members', '/usage', '/audit', '/ai']
    for (const path of pages) {
      const res = await member.get(path)
      expect(res.status, path).toBeLessThan(500)
      expect(res.text, path).not.toContain(secret)
      expect(res.text, path).not.toContain(secret.slice('whsec_'.length))
    }
    // Asking to reveal it is refused, and shows nothing of it either.
    await member.get(`/webhooks/${hook.body.id}`)
    const reveal = await member.post(`/webhooks/${hook.body.id}/reveal`)
    expect(reveal.status).toBe(403)
    expect(reveal.text).not.toContain(secret.slice('whsec_'.length))
  })
})
