import fs from 'node:fs'
import { chromium } from 'playwright-core'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from './harness.js'

const CHROMIUM = '/usr/bin/chromium'
const runBrowser = fs.existsSync(CHROMIUM) || Boolean(process.env.CI)
const METRICS_TOKEN = 'scrape-me-0123456789abcdef'

/** Answers tell a client what it needs and nothing about the inside: no resolved addresses, no audit ids it chose, no open metrics. */
describe.each(engines)('information leaks (%s)', (engine) => {
  let server: TestServer
  let key: string
  const lines: Record<string, unknown>[] = []
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
    server = await startServer({ engine, logger, env: { PORTICO_WEBHOOKS_ALLOW_PRIVATE: '0', PORTICO_METRICS_TOKEN: METRICS_TOKEN } })
    key = (await server.createOrg()).key
  })
  afterAll(() => server.close())

  it('an SSRF refusal says the host is private without naming the address it resolved to', async () => {
    const res = await server.api('POST', '/webhooks', { key, body: { url: 'http://localhost:8080/hook', events: ['*'] } })
    expect(res.status).toBe(400)
    expect(res.body.error.fields.url).toMatch(/localhost resolves to a private or reserved address/)
    expect(res.text).not.toMatch(/127\.0\.0\.1|::1/)
  })

  it("a client's X-Request-Id is echoed and logged as a correlation id, while the audit row records the server's", async () => {
    const chosen = 'client-chosen-id.42'
    const minted = await server.api('POST', '/keys', { key, body: { name: 'correlated' }, headers: { 'x-request-id': chosen } })
    expect(minted.status).toBe(201)
    expect(minted.headers.get('x-request-id')).toBe(chosen)
    const refused = await server.api('POST', '/keys', { key, body: { name: '' }, headers: { 'x-request-id': chosen } })
    expect(refused.body.error.request_id).toBe(chosen)
    expect(refused.headers.get('x-request-id')).toBe(chosen)

    const audit = await server.db.handle.db.selectFrom('audit_log').select('request_id').where('target_id', '=', minted.body.id).executeTakeFirstOrThrow()
    expect(audit.request_id).not.toBe(chosen)
    expect(audit.request_id).toMatch(/^req_[0-9a-f]{32}$/)
    const logged = lines.find((l) => l.correlation_id === chosen && l.status === 201)
    expect(logged).toMatchObject({ req_id: audit.request_id, correlation_id: chosen })
    // Without one, the one id is the server's everywhere.
    const plain = await server.api('POST', '/keys', { key, body: { name: 'plain' } })
    const plainAudit = await server.db.handle.db.selectFrom('audit_log').select('request_id').where('target_id', '=', plain.body.id).executeTakeFirstOrThrow()
    expect(plainAudit.request_id).toBe(plain.headers.get('x-request-id'))
  })

  it('/metrics answers only with the bearer token, and is not there at all without one configured', async () => {
    const metrics = (headers: Record<string, string> = {}, on = server) => fetch(`${on.url}/metrics`, { headers })
    const none = await metrics()
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toContain('Bearer')
    expect((await none.json()).error.code).toBe('missing_api_key')
    expect((await metrics({ authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401)
    expect((await metrics({ authorization: `Bearer ${key}` })).status).toBe(401)
    const ok = await metrics({ authorization: `Bearer ${METRICS_TOKEN}` })
    expect(ok.status).toBe(200)
    expect(await ok.text()).toContain('portico_http_requests_total')

    const unset = await startServer({ engine })
    try {
      for (const headers of [{}, { authorization: `Bearer ${METRICS_TOKEN}` }] as Record<string, string>[]) {
        const res = await metrics(headers, unset)
        expect(res.status).toBe(404)
        expect((await res.json()).error.code).toBe('not_found')
      }
    } finally {
      await unset.close()
    }
  })

  it('the reference page has a strict Content-Security-Policy', async () => {
    for (const path of ['/reference', '/api/v1/reference']) {
      const res = await fetch(`${server.url}${path}`)
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("default-src 'none'")
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/)
    }
  })
})

describe.runIf(runBrowser)('the reference page in Chromium', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server.close())

  it('still renders under its CSP, offline, with no violation, and Try it out reaches the API', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
    try {
      const page = await browser.newPage()
      const outside: string[] = []
      const violations: string[] = []
      // Offline: anything that is not this server fails, and is noted.
      await page.route('**/*', (route) => {
        if (route.request().url().startsWith(server.url)) return route.continue()
        outside.push(route.request().url())
        return route.abort()
      })
      page.on('console', (m) => {
        if (/Content.Security.Policy|Refused to/i.test(m.text())) violations.push(m.text())
      })
      await page.goto(`${server.url}/reference`)
      await page.waitForSelector('.opblock', { timeout: 30_000 })
      expect(await page.locator('.opblock').count()).toBeGreaterThan(10)
      expect(await page.locator('.info .title').innerText()).toContain('Portico')
      // "Try it out" (on from the start) reaches the API from the page.
      await page.locator('.opblock-summary', { hasText: '/health' }).first().click()
      await page.locator('button.execute').first().click()
      await page.waitForSelector('.responses-wrapper .live-responses-table', { timeout: 15_000 })
      expect(await page.locator('.live-responses-table').first().innerText()).toContain('401')
      expect(violations).toEqual([])
      expect(outside).toEqual([])
    } finally {
      await browser.close()
    }
  })
})
