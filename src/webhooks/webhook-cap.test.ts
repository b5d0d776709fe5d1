import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'

/** Every event fans out to every endpoint, retried for a day: an organisation has a bounded number of them. */
describe.each(engines)('webhook endpoints per organisation (%s)', (engine) => {
  let byDefault: TestServer
  let three: TestServer
  beforeAll(async () => {
    ;[byDefault, three] = await Promise.all([startServer({ engine }), startServer({ engine, env: { PORTICO_WEBHOOKS_PER_ORG: '3' } })])
  })
  afterAll(() => Promise.all([byDefault.close(), three.close()]))

  const create = (server: TestServer, key: string, i: number) => server.api('POST', '/webhooks', { key, body: { url: `http://127.0.0.1:9/hook/${i}`, events: ['*'] } })

  it('20 by default; the 21st is 409 conflict saying so, and another organisation is unaffected', async () => {
    const { key } = await byDefault.createOrg()
    for (let i = 0; i < 20; i++) expect((await create(byDefault, key, i)).status).toBe(201)
    const refused = await create(byDefault, key, 20)
    expect(refused.status, refused.text).toBe(409)
    expect(refused.body.error.code).toBe('conflict')
    expect(refused.body.error.message).toContain('20 webhook endpoints')
    expect((await byDefault.api('GET', '/webhooks?limit=100', { key })).body.data).toHaveLength(20)
    const other = await byDefault.createOrg('Other')
    expect((await create(byDefault, other.key, 0)).status).toBe(201)
  })

  it('PORTICO_WEBHOOKS_PER_ORG sets the cap, and concurrent creations cannot race past it', async () => {
    const { key } = await three.createOrg()
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => create(three, key, i)))
    expect(answers.filter((a) => a.status === 201)).toHaveLength(3)
    expect(answers.filter((a) => a.status === 409)).toHaveLength(5)
    expect((await three.api('GET', '/webhooks', { key })).body.data).toHaveLength(3)
    // Deleting one makes room for one.
    const id = answers.find((a) => a.status === 201)!.body.id
    expect((await three.api('DELETE', `/webhooks/${id}`, { key })).status).toBe(200)
    expect((await create(three, key, 99)).status).toBe(201)
  })
})
