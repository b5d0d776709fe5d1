/**
 * Nesting far deeper than any schema allows, in every field of every JSON body the published
 * document declares, over REST and MCP: refused as the client's error (4xx, the envelope), never
 * an internal error from a parser or serialiser that recurses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toolNameOf } from '../../src/mcp/tool-names.js'
import { engines } from '../harness.js'
import { callTool } from './doorways.js'
import { Coverage } from './coverage.js'
import { deref } from './published-schema.js'
import { fillPath, startWorld, type Tenant, type World } from './world.js'

const DEPTH = 20_000

describe.each(engines)('deep nesting (%s)', (engine) => {
  let world: World
  let tenant: Tenant
  const coverage = new Coverage(`deep nesting (${engine})`)

  beforeAll(async () => {
    world = await startWorld(engine)
    tenant = await world.tenant('deep')
  })
  afterAll(async () => {
    coverage.print()
    await world?.close()
  })

  it(`${DEPTH.toLocaleString('en')} arrays deep in any body field is a 4xx in the envelope on REST and MCP`, async () => {
    const deep = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`
    const failures: string[] = []
    for (const published of world.api.operations) {
      const schema = published.bodies['application/json']
      if (!schema) continue
      const op = world.server.portico.registry.get(published.id)!
      const key = world.keyFor(op, tenant)
      const call = await world.validCall(op, tenant, { fresh: false })
      for (const field of Object.keys(deref(world.api.doc, schema).properties ?? {})) {
        const rest = await fetch(`${world.server.url}/api/v1${fillPath(op.path, call.params)}`, {
          method: op.method.toUpperCase(),
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: `{${JSON.stringify(field)}:${deep}}`,
        })
        const restCode = ((await rest.json()) as { error?: { code?: string } }).error?.code
        if (rest.status < 400 || rest.status >= 500 || !restCode) failures.push(`rest ${op.id} ${field}: ${rest.status} ${restCode}`)
        const args = JSON.stringify(call.params).slice(0, -1)
        const rpc = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":${JSON.stringify(toolNameOf(op))},"arguments":${args}${args === '{' ? '' : ','}${JSON.stringify(field)}:${deep}}}}`
        const { res, json } = await callTool(world.server.url, key, toolNameOf(op), undefined, rpc)
        const envelope = json?.result?.isError ? JSON.parse(json.result.content[0].text).error : undefined
        if (res.status >= 500 || !envelope || envelope.code === 'internal_error') failures.push(`mcp ${op.id} ${field}: ${res.status} ${envelope?.code ?? JSON.stringify(json).slice(0, 100)}`)
        coverage.count('rest', op.id)
        coverage.count('mcp', op.id)
      }
    }
    expect(failures).toEqual([])
  })
})
