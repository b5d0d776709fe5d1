import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { decompressionBomb, makePdf, manyPagesPdf } from '../../test/pdf-fixture.js'
import { esignModule } from './index.js'
import { esignDb } from './tables.js'

/** What each hostile upload may cost: stated here, measured below. */
const BUDGET = { seconds: 10, rssGrowthMb: 400, healthzMs: 1000 }

/**
 * Uploads that would hold the event loop and memory hostage if parsed inline: each is refused
 * with 400 naming the field, within the budget above, while /healthz keeps answering.
 */
describe.each(engines)('hostile PDFs are refused within a time and memory budget (%s)', (engine) => {
  let server: TestServer
  let key: string

  beforeAll(async () => {
    server = await startServer({ engine, modules: [esignModule] })
    key = (await server.createOrg('Acme')).key
  })
  afterAll(() => server.close())

  const stored = async () => Number((await esignDb(server.db.handle.db).selectFrom('esign_documents').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)

  /** Uploads `pdf` while sampling the process's memory and timing /healthz, every few milliseconds. */
  async function uploadWatched(pdf: Uint8Array) {
    // Encoded before the clock starts: this process is the client too, and its own encoding is not the server's work.
    const body = JSON.stringify({ title: 'Hostile', file_base64: Buffer.from(pdf).toString('base64') })
    const baseline = process.memoryUsage.rss()
    let peak = baseline
    let slowestHealthz = 0
    let healthzAnswers = 0
    let done = false
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10)
    const prober = (async () => {
      while (!done) {
        const sent = performance.now()
        const res = await fetch(`${server.url}/healthz`)
        await res.text()
        slowestHealthz = Math.max(slowestHealthz, performance.now() - sent)
        healthzAnswers++
        await new Promise((r) => setTimeout(r, 25))
      }
    })()
    const started = performance.now()
    const res = await server.api('POST', '/documents', { key, body, headers: { 'content-type': 'application/json' } })
    const seconds = (performance.now() - started) / 1000
    done = true
    await prober
    clearInterval(sampler)
    return { res, seconds, rssGrowthMb: (peak - baseline) / 1024 / 1024, slowestHealthz, healthzAnswers }
  }

  const cases: [string, () => Uint8Array, RegExp][] = [
    ['a 1 MB object stream that inflates to 1 GB', () => decompressionBomb(1024), /decompresses to more than 100 MB/],
    ['a 3 KB object stream deflated twice, 1 GB inside', () => decompressionBomb(1024, true), /decompresses to more than 100 MB/],
    ['100,000 pages', () => manyPagesPdf(100_000), /more than 500 pages/],
    ['one page listed 100,000 times under a /Count of 1', () => manyPagesPdf(100_000, true), /more than 500 pages/],
  ]

  it.each(cases)('%s', async (_name, make, message) => {
    const pdf = make()
    const before = await stored()
    const { res, seconds, rssGrowthMb, slowestHealthz, healthzAnswers } = await uploadWatched(pdf)
    expect(res.status, res.text).toBe(400)
    expect(res.body.error.code).toBe('validation_error')
    expect(res.body.error.fields.file_base64).toMatch(message)
    const measured = `${seconds.toFixed(2)} s, +${rssGrowthMb.toFixed(0)} MB, /healthz at most ${slowestHealthz.toFixed(0)} ms over ${healthzAnswers} answers`
    expect(seconds, measured).toBeLessThan(BUDGET.seconds)
    expect(rssGrowthMb, measured).toBeLessThan(BUDGET.rssGrowthMb)
    expect(healthzAnswers, measured).toBeGreaterThan(0)
    expect(slowestHealthz, measured).toBeLessThan(BUDGET.healthzMs)
    expect(await stored()).toBe(before)
  })

  it('a real PDF is still accepted afterwards, in a multipart upload too', async () => {
    const form = new FormData()
    form.append('file', new Blob([(await makePdf(3)) as Uint8Array<ArrayBuffer>], { type: 'application/pdf' }), 'fine.pdf')
    form.append('title', 'Fine')
    const res = await server.api('POST', '/documents', { key, body: form })
    expect(res.status, res.text).toBe(201)
    expect(res.body.page_count).toBe(3)
  })
})
