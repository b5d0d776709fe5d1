import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../../test/harness.js'
import { defineModule } from '../core/module.js'
import { defineOperation } from '../core/operation.js'
import { z } from '../core/schema.js'

let ran: string[] = []
const probe = defineModule({
  name: 'turns',
  operations: [
    defineOperation({
      id: 'turns.echo',
      method: 'get',
      path: '/turns/echo',
      summary: 'Answers synchronously',
      scope: 'read',
      query: z.object({ n: z.string() }),
      output: z.object({ n: z.string() }),
      handler: ({ n }) => {
        ran.push(n)
        return { n }
      },
    }),
    defineOperation({
      id: 'turns.broken',
      method: 'get',
      path: '/turns/broken',
      summary: 'Fails with an error of its own',
      scope: 'read',
      output: z.object({}),
      handler: () => {
        throw new Error('a bug, with a detail that must not leave')
      },
    }),
  ],
})

describe.each(['1', '0'])('PORTICO_TURN_BATCHING=%s', (batching) => {
  let server: TestServer
  let key: string
  beforeAll(async () => {
    server = await startServer({ modules: [probe], env: { PORTICO_TURN_BATCHING: batching } })
    ;({ key } = await server.createOrg('Turns'))
  })
  afterAll(() => server?.close())

  it('answers every one of many concurrent requests, each its own', async () => {
    ran = []
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => server.api('GET', `/turns/echo?n=${i}`, { key })))
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(200))
    expect(answers.map((a) => a.body.n)).toEqual(Array.from({ length: 40 }, (_, i) => String(i)))
    expect(new Set(answers.map((a) => a.headers.get('x-request-id'))).size).toBe(40)
    expect(ran.sort()).toEqual(Array.from({ length: 40 }, (_, i) => String(i)).sort())
  })

  it("a handler's own error is a 500 envelope without its detail, and the server keeps serving", async () => {
    const broken = await server.api('GET', '/turns/broken', { key })
    expect(broken.status).toBe(500)
    expect(broken.body.error.code).toBe('internal_error')
    expect(broken.text).not.toContain('must not leave')
    expect((await server.api('GET', '/turns/echo?n=after', { key })).body).toEqual({ n: 'after' })
  })
})
