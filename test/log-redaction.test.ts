import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { esignModule } from '../examples/esign/index.js'
import { directLinkTemplate } from '../examples/esign/testing.js'
import { engines, startServer, type TestServer } from './harness.js'
import { Visitor } from './visitor.js'

/**
 * A path that carries a credential (a setup link, a signing link, a direct link) is logged with
 * that segment redacted, as the route declared it; anyone who reads the logs learns no token.
 */
describe.each(engines)('secrets in logged paths (%s)', (engine) => {
  let server: TestServer
  const lines: { msg?: string; path?: string }[] = []
  const tokens: string[] = []

  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
    server = await startServer({ engine, modules: [esignModule], logger })
  })
  afterAll(() => server.close())

  const tokenOf = (url: string, marker: string) => {
    const token = url.slice(url.indexOf(marker) + marker.length).split('/')[0]!
    tokens.push(token)
    return token
  }
  const requestLines = () => lines.filter((l) => l.path !== undefined && l.msg === undefined)

  it('redacts first-run, setup, signing and direct-link tokens in the request log', async () => {
    const firstRun = (await server.portico.firstRunLink())!
    tokenOf(firstRun, '/setup/first-run/')
    const visitor = new Visitor(server.url)
    await visitor.get(firstRun)
    expect((await visitor.post(firstRun, { org: 'Acme', name: 'Olive', email: 'olive@acme.example', password: 'a long password here' })).status).toBe(303)

    // The Owner invites a new person: the members page shows their one-time setup link.
    await visitor.get('/members')
    await visitor.post('/members', { email: 'new.person@acme.example', name: 'New Person', role: 'member' })
    const setup = /value="(http[^"]+\/setup\/[^"]+)"/.exec(visitor.page)![1]!
    tokenOf(setup, '/setup/')
    const invitee = new Visitor(server.url)
    await invitee.get(setup)
    await invitee.post(setup, { password: 'the new persons password' })

    const { key } = await server.createOrg('Beta')
    const { doc, url: direct } = await directLinkTemplate(server, key)
    tokenOf(direct, '/d/')
    await fetch(direct)
    await fetch(direct, { method: 'POST', body: new URLSearchParams({ name: 'Walk In', email: 'walk@example.com' }), redirect: 'manual' })
    const signing: string = (await server.api('POST', `/documents/${doc.id}/send`, { key })).body.recipients[0].signing_url
    tokenOf(signing, '/sign/')
    await fetch(signing)
    await fetch(`${signing}/document.pdf`)
    await fetch(signing, { method: 'POST', body: new URLSearchParams({ name: 'Sam', action: 'sign', consent: 'yes' }) })

    const paths = requestLines().map((l) => l.path!)
    for (const expected of ['/setup/first-run/[redacted]', '/setup/[redacted]', '/d/[redacted]', '/sign/[redacted]', '/sign/[redacted]/document.pdf']) {
      expect(paths, expected).toContain(expected)
    }
    for (const line of requestLines()) for (const token of tokens) expect(JSON.stringify(line)).not.toContain(token)
    // Other routes keep their real paths.
    expect(paths).toContain(`/api/v1/documents/${doc.id}/send`)
  })
})
