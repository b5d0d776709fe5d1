import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, startSmtpServer, type TestServer } from '../../test/harness.js'
import { makePdf } from '../../test/pdf-fixture.js'
import { esignModule } from './index.js'
import { sentDocument, sign } from './testing.js'

describe.each(engines)('signing links and completion notices by e-mail (%s)', (engine) => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>
  let server: TestServer
  let key: string
  beforeAll(async () => {
    smtp = await startSmtpServer()
    server = await startServer({ engine, modules: [esignModule], env: { PORTICO_SMTP_URL: smtp.url } })
    key = (await server.createOrg('Acme Contracts')).key
  })
  afterAll(async () => {
    await server?.close()
    await smtp?.close()
  })

  it('each recipient is e-mailed their own link, naming the sender; everyone hears when it is complete', async () => {
    const sent = await sentDocument(server, key, await makePdf(1), [
      { name: 'Sam Signer', email: 'sam@mail.example' },
      { name: 'Val Viewer', email: 'val@mail.example', role: 'VIEWER' },
    ])
    const sam = await smtp.next('sam@mail.example')
    expect(sam.subject).toBe('Acme Contracts sent you "Contract" to sign')
    expect(sam.text).toContain(sent.recipients[0].signing_url)
    expect(sam.text).not.toContain(sent.recipients[1].signing_url)
    const val = await smtp.next('val@mail.example')
    expect(val.subject).toContain('to read')
    expect(val.text).toContain(sent.recipients[1].signing_url)

    expect((await sign(sent.recipients[0].signing_url, 'Sam Signer')).status).toBe(200)
    for (const to of ['sam@mail.example', 'val@mail.example']) {
      const notice = await smtp.next(to, (m) => m.subject.includes('signed by everyone'))
      expect(notice.text).toContain('Acme Contracts')
      expect(notice.text).not.toMatch(/\/sign\//)
    }
  })
})
