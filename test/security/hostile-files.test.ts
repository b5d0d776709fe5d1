/**
 * Hostile PDFs uploaded through `POST /documents`, as JSON (base64) and as multipart, to the
 * shipped server in its own process: each is refused with 400 `validation_error` within the
 * budgets below, nothing is stored, and `/healthz` keeps answering meanwhile (the parse does not
 * hold the event loop that serves every tenant). The files are made here (hostile-pdfs.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOrganization } from '../../src/cli.js'
import { loadConfig } from '../../src/core/config.js'
import { startChildServer, type ChildServer } from '../child-server.js'
import { createTestDatabase, engines, type TestDatabase } from '../harness.js'
import { Coverage } from './coverage.js'
import { cyclicPdf, decompressionBombPdf, junkPdf, manyPagesPdf } from './hostile-pdfs.js'

/** From the start of the upload to the refusal, on a loaded two-core machine. */
const TIME_BUDGET_MS = 10_000
/** The slowest `/healthz` answer while the upload is being handled. */
const HEALTHZ_BUDGET_MS = 1_000
/** Growth of the server's resident memory (worker threads included) over its level before the upload. */
const MEMORY_BUDGET_BYTES = 256 * 1024 * 1024

const files: [string, () => Buffer][] = [
  ['a decompression bomb (1 MB whose object stream inflates to 1 GiB)', () => decompressionBombPdf()],
  ['100,000 pages (7 MB)', () => manyPagesPdf(100_000)],
  ['an object cycle (a page tree that contains itself, a length that is itself)', cyclicPdf],
  ['1 MB of junk after a PDF header', () => junkPdf()],
]
const encodings = ['json', 'multipart'] as const

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.each(engines)('hostile files (%s)', (engine) => {
  let db: TestDatabase
  let server: ChildServer
  let key: string
  const coverage = new Coverage(`hostile files (${engine})`, 'files')

  beforeAll(async () => {
    db = await createTestDatabase(engine)
    server = await startChildServer({ DATABASE_URL: db.url, LOG_LEVEL: 'warn', PORTICO_RATE_LIMITS: 'general=100000/60,send=100000/60', ...db.childEnv })
    key = (await createOrganization(db.handle, loadConfig({ DATABASE_URL: db.url }), 'Hostile files')).key
  })
  afterAll(async () => {
    coverage.print()
    await server?.stop()
    await db?.handle.close()
    await db?.drop()
  })

  const documentCount = async () => {
    const res = await fetch(`${server.url}/api/v1/documents?limit=100`, { headers: { authorization: `Bearer ${key}` } })
    return ((await res.json()) as { data: unknown[] }).data.length
  }

  for (const [name, make] of files) {
    for (const encoding of encodings) {
      it(`${name}, as ${encoding}: 400 within ${TIME_BUDGET_MS / 1000} s and ${MEMORY_BUDGET_BYTES >> 20} MB, /healthz under ${HEALTHZ_BUDGET_MS} ms, nothing stored`, { timeout: 240_000 }, async () => {
        const bytes = make()
        const stored = await documentCount()
        let body: string | FormData
        const headers: Record<string, string> = { authorization: `Bearer ${key}` }
        if (encoding === 'json') {
          body = JSON.stringify({ title: 'Hostile', file_base64: bytes.toString('base64') })
          headers['content-type'] = 'application/json'
        } else {
          body = new FormData()
          body.append('title', 'Hostile')
          body.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/pdf' }), 'hostile.pdf')
        }

        const baseline = server.rss()
        let peak = baseline
        const sampler = setInterval(() => (peak = Math.max(peak, server.rss())), 25)
        let done = false
        let slowestHealthz = 0
        const prober = (async () => {
          while (!done) {
            const started = performance.now()
            const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(180_000) })
            await res.arrayBuffer()
            slowestHealthz = Math.max(slowestHealthz, performance.now() - started)
            await sleep(100)
          }
        })()
        const started = performance.now()
        let res: Response
        let answer: { error?: { code: string } }
        try {
          res = await fetch(`${server.url}/api/v1/documents`, { method: 'POST', headers, body, signal: AbortSignal.timeout(180_000) })
          answer = (await res.json()) as { error?: { code: string } }
        } finally {
          done = true
          await prober.catch(() => {})
          clearInterval(sampler)
        }
        const elapsed = performance.now() - started
        coverage.count(encoding, name)

        const figures = `${res.status} ${answer.error?.code} in ${Math.round(elapsed)} ms, memory +${Math.round((peak - baseline) / 2 ** 20)} MB, slowest /healthz ${Math.round(slowestHealthz)} ms`
        expect({ status: res.status, code: answer.error?.code }, figures).toEqual({ status: 400, code: 'validation_error' })
        expect(elapsed, figures).toBeLessThan(TIME_BUDGET_MS)
        expect(slowestHealthz, figures).toBeLessThan(HEALTHZ_BUDGET_MS)
        expect(peak - baseline, figures).toBeLessThan(MEMORY_BUDGET_BYTES)
        expect(await documentCount()).toBe(stored)
      })
    }
  }
})
