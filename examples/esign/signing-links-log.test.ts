import { Writable } from 'node:stream'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { makePdf } from '../../test/pdf-fixture.js'
import { esignModule } from './index.js'
import { sentDocument } from './testing.js'

const tokenOf = (url: string) => new URL(url).pathname.split('/')[2]!

describe.each(engines)('signing links and the log (%s)', (engine) => {
  let server: TestServer
  let key: string
  let lines = ''
  beforeAll(async () => {
    const sink = new Writable({ write: (chunk, _enc, done) => void ((lines += chunk), done()) })
    server = await startServer({ engine, modules: [esignModule], logger: pino({ level: 'trace' }, sink) })
    key = (await server.createOrg('Acme')).key
  })
  afterAll(() => server.close())

  it('a send and a direct link say who got a link, and never write the link itself', async () => {
    const sent = await sentDocument(server, key, await makePdf(1), [{ name: 'Sam Signer', email: 'sam@example.com' }])
    const template = await server.api('POST', '/templates', { key, body: { title: 'NDA', document_id: sent.id } })
    const link = await server.api('POST', `/templates/${template.body.id}/direct-link`, { key })
    const visited = await fetch(link.body.url, { method: 'POST', body: new URLSearchParams({ name: 'Dee Visitor', email: 'dee@example.com' }), redirect: 'manual' })
    expect(visited.status).toBe(303)

    expect(lines).toContain('signing link issued for sam@example.com')
    expect(lines).toContain('signing link issued for dee@example.com')
    for (const url of [sent.recipients[0].signing_url, visited.headers.get('location')!]) {
      const issued = lines.split('\n').filter((l) => l.includes('signing link issued'))
      expect(issued.join('\n')).not.toContain(tokenOf(url))
    }
  })
})
