import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { startReceiver, waitFor } from '../../test/webhook-receiver.js'
import { RESPONSE_EXCERPT_BYTES, responseExcerpt } from './send.js'

describe.each(engines)('delivery log: payload sent, answer received (%s)', (engine) => {
  let server: TestServer
  let org: { orgId: string; key: string }
  let other: { orgId: string; key: string }
  beforeAll(async () => {
    server = await startServer({ engine, startBackground: true })
    org = await server.createOrg('Acme')
    other = await server.createOrg('Globex')
  })
  afterAll(() => server.close())

  it('keeps the exact request body and the first 2 KB of each answer, per attempt', async () => {
    const long = 'é'.repeat(3000) // 6,000 bytes of two-byte characters
    const receiver = await startReceiver((n) => (n === 1 ? { status: 500, body: `{"error":"busy","n":1}` } : { status: 200, body: long }))
    const hook = (await server.api('POST', '/webhooks', { key: org.key, body: { url: receiver.url, events: ['*'] } })).body
    const sent = await server.api('POST', `/webhooks/${hook.id}/test`, { key: org.key })
    await waitFor(() => receiver.received.length >= 1)
    // The first attempt failed with 500; retry by hand rather than wait for the schedule.
    await waitFor(async () => (await server.api('GET', `/webhooks/${hook.id}/deliveries/${sent.body.id}/attempts`, { key: org.key })).body.data.length === 1)
    const retried = await server.api('POST', `/webhooks/${hook.id}/deliveries/${sent.body.id}/retry`, { key: org.key })
    expect(retried.status, retried.text).toBeLessThan(300)
    await waitFor(() => receiver.received.length >= 2)

    const delivery = await server.api('GET', `/webhooks/${hook.id}/deliveries/${sent.body.id}`, { key: org.key })
    expect(delivery.status).toBe(200)
    expect(delivery.body.payload).toBe(receiver.received[0]!.body)
    expect(JSON.parse(delivery.body.payload).type).toBe('webhook.test')

    await waitFor(async () => (await server.api('GET', `/webhooks/${hook.id}/deliveries/${sent.body.id}/attempts`, { key: org.key })).body.data.length === 2)
    const attempts = (await server.api('GET', `/webhooks/${hook.id}/deliveries/${sent.body.id}/attempts`, { key: org.key })).body.data
    const [second, first] = attempts as { status_code: number; response_body: string }[]
    expect(first).toMatchObject({ status_code: 500, response_body: '{"error":"busy","n":1}' })
    expect(second!.status_code).toBe(200)
    expect(second!.response_body).toBe('é'.repeat(RESPONSE_EXCERPT_BYTES / 2))
    await receiver.close()
  })

  it("answers 404 for a delivery of another organisation or of another endpoint", async () => {
    const receiver = await startReceiver()
    const mine = (await server.api('POST', '/webhooks', { key: org.key, body: { url: receiver.url, events: ['*'] } })).body
    const second = (await server.api('POST', '/webhooks', { key: org.key, body: { url: receiver.url, events: ['*'] } })).body
    const theirs = (await server.api('POST', '/webhooks', { key: other.key, body: { url: receiver.url, events: ['*'] } })).body
    const delivery = (await server.api('POST', `/webhooks/${theirs.id}/test`, { key: other.key })).body
    expect((await server.api('GET', `/webhooks/${theirs.id}/deliveries/${delivery.id}`, { key: org.key })).status).toBe(404)
    expect((await server.api('GET', `/webhooks/${mine.id}/deliveries/${delivery.id}`, { key: org.key })).status).toBe(404)
    const own = (await server.api('POST', `/webhooks/${mine.id}/test`, { key: org.key })).body
    expect((await server.api('GET', `/webhooks/${second.id}/deliveries/${own.id}`, { key: org.key })).status).toBe(404)
    expect((await server.api('GET', `/webhooks/${mine.id}/deliveries/${own.id}`, { key: org.key })).status).toBe(200)
    await receiver.close()
  })
})

describe('response excerpts', () => {
  it('keep whole UTF-8 characters and no NUL', () => {
    const bytes = Buffer.from('a'.repeat(RESPONSE_EXCERPT_BYTES - 1) + 'é')
    expect(responseExcerpt([bytes])).toBe('a'.repeat(RESPONSE_EXCERPT_BYTES - 1))
    expect(responseExcerpt([Buffer.from('x\u0000y')])).toBe('xy')
  })
})
