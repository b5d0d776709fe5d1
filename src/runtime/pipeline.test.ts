import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { defineModule } from '../core/module.js'
import { defineOperation } from '../core/operation.js'
import { z } from '../core/schema.js'

/** The pipeline's extension points, declared as a product (or the gateway) would declare them. */
const probeModule = defineModule({
  name: 'probe',
  operations: [
    defineOperation({
      id: 'probe.sync',
      method: 'get',
      path: '/probe/sync',
      summary: 'Answers without a promise',
      scope: 'read',
      output: z.object({ ok: z.boolean() }),
      handler: () => ({ ok: true }),
    }),
    defineOperation({
      id: 'probe.raw',
      method: 'post',
      path: '/probe/raw',
      summary: 'Reads its own body',
      scope: 'read',
      rawBody: true,
      output: z.object({ bytes: z.number(), content_type: z.string().nullable() }),
      handler: async (_input, ctx) => {
        const bytes = ctx.rawBody?.stream ? (await new Response(ctx.rawBody.stream).arrayBuffer()).byteLength : 0
        return { bytes, content_type: ctx.rawBody?.contentType ?? null }
      },
    }),
    defineOperation({
      id: 'probe.passthrough',
      method: 'get',
      path: '/probe/passthrough',
      summary: 'Answers its own Response',
      scope: 'read',
      output: z.unknown(),
      handler: () => {
        const chunks = ['first,', 'second']
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            const next = chunks.shift()
            if (next === undefined) controller.close()
            else controller.enqueue(new TextEncoder().encode(next))
          },
        })
        return new Response(stream, { status: 207, headers: { 'content-type': 'text/plain', 'x-upstream': 'yes' } })
      },
    }),
  ],
})

describe.each(engines)('request pipeline (%s)', (engine) => {
  let server: TestServer
  let key: string

  beforeAll(async () => {
    server = await startServer({ engine, modules: [probeModule] })
    key = (await server.createOrg()).key
  })
  afterAll(() => server.close())

  it('awaits nothing for a cached key, the in-process limiter and a synchronous handler', async () => {
    const { executor, registry } = server.portico
    const request = () => ({
      op: registry.get('probe.sync')!,
      doorway: 'rest' as const,
      credentials: { authorization: `Bearer ${key}` },
      meta: { requestId: 'req_probe', serverRequestId: 'req_probe', clientIp: '127.0.0.1', userAgent: undefined },
      at: Date.now(),
    })
    await executor.execute(request()) // the first use reads the key from the database
    const x = executor.execute(request())
    expect(x).not.toBeInstanceOf(Promise)
    expect((x as Exclude<typeof x, Promise<unknown>>).answer).toEqual({ kind: 'json', status: 200, body: { ok: true } })
    expect((x as Exclude<typeof x, Promise<unknown>>).headers).toHaveProperty('RateLimit')
  })

  it('hands a rawBody operation the unread body and its content type', async () => {
    const res = await server.api('POST', '/probe/raw', { key, body: 'not json at all', headers: { 'content-type': 'text/csv' } })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({ bytes: 15, content_type: 'text/csv' })
  })

  it("sends a handler's Response as it is, streamed, with the request id and rate-limit headers", async () => {
    const res = await server.api('GET', '/probe/passthrough', { key })
    expect(res.status).toBe(207)
    expect(res.text).toBe('first,second')
    expect(res.headers.get('x-upstream')).toBe('yes')
    expect(res.headers.get('x-request-id')).toMatch(/^req_/)
    expect(res.headers.get('ratelimit')).toMatch(/^"general";r=\d+;t=\d+$/)
  })
})
