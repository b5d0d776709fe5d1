import { afterAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { DIRECT_LINK_LIMITS } from './direct-link-page.js'
import { esignModule } from './index.js'
import { esignDb } from './tables.js'
import { directLinkTemplate } from './testing.js'

/**
 * The public direct link creates and sends a document for anyone who has it. It is limited per
 * link and per client address, and every use counts in the `send` class of the template's
 * organisation; past any of them the page answers 429 with Retry-After and creates nothing.
 */
describe.each(engines)('direct link limits (%s)', (engine) => {
  const servers: TestServer[] = []
  afterAll(() => Promise.all(servers.map((s) => s.close())))

  async function linkOn(env: Record<string, string>) {
    const server = await startServer({ engine, modules: [esignModule], env: { PORTICO_TRUST_PROXY: '1', ...env } })
    servers.push(server)
    const { key } = await server.createOrg('Acme')
    const { url } = await directLinkTemplate(server, key)
    const documents = async () => Number((await esignDb(server.db.handle.db).selectFrom('esign_documents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
    const visit = (address: string, i: number) =>
      fetch(url, {
        method: 'POST',
        headers: { 'x-forwarded-for': address },
        body: new URLSearchParams({ name: `Visitor ${i}`, email: `visitor${i}@example.com` }),
        redirect: 'manual',
      })
    return { url, documents, visit }
  }

  it('per client address, then per link', async () => {
    const { documents, visit } = await linkOn({ PORTICO_RATE_LIMITS: 'send=10000/60' })
    const start = await documents()
    const { limit: perAddress } = DIRECT_LINK_LIMITS.perAddress
    for (let i = 0; i < perAddress; i++) expect((await visit('203.0.113.5', i)).status).toBe(303)
    const refused = await visit('203.0.113.5', 99)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await refused.text()).toContain('Try again in')
    expect(await documents()).toBe(start + perAddress)

    // Other addresses carry on until the link's own limit is spent.
    const { limit: perLink } = DIRECT_LINK_LIMITS.perLink
    for (let i = perAddress; i < perLink; i++) expect((await visit(`198.51.100.${i % 250}`, i)).status, `visit ${i}`).toBe(303)
    expect((await visit('192.0.2.77', 1000)).status).toBe(429)
    expect(await documents()).toBe(start + perLink)
  })

  it("counts in the send class of the template's organisation", async () => {
    const { documents, visit } = await linkOn({ PORTICO_RATE_LIMITS: 'send=3/60' })
    const start = await documents()
    for (let i = 0; i < 3; i++) expect((await visit(`203.0.113.${10 + i}`, i)).status).toBe(303)
    const refused = await visit('203.0.113.50', 50)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(61)
    expect(await documents()).toBe(start + 3)
  })
})
