import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../../test/harness.js'
import { makePdf } from '../../test/pdf-fixture.js'
import { esignModule } from './index.js'
import { sentDocument } from './testing.js'

const CHROMIUM = '/usr/bin/chromium'
const runBrowser = fs.existsSync(CHROMIUM) || Boolean(process.env.CI)
const ORG = 'Internationale Handelsgesellschaft für Logistik und Lagerverwaltung GmbH & Co. KG'

/**
 * The signing page as a signer meets it in Chromium: who sent it, the PDF drawn in place by the
 * PDF.js that Portico serves itself, the handwriting font, and the consent the signature needs;
 * nothing loaded from anywhere else and no policy broken; it holds at 390 and 1280 px.
 */
describe.runIf(runBrowser)('the signing page in Chromium', () => {
  let server: TestServer
  let key: string
  let browser: Browser
  let page: Page
  const elsewhere: string[] = []
  const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-signing-'))

  beforeAll(async () => {
    server = await startServer({ modules: [esignModule] })
    key = (await server.createOrg(ORG)).key
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    // Every policy violation the page (or its worker) reports, collected where the test can read it.
    await context.addInitScript(() => {
      const seen: string[] = ((window as unknown as { cspViolations: string[] }).cspViolations = [])
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`))
    })
    page = await context.newPage()
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url)) elsewhere.push(r.url())
    })
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  const previewDone = async () => {
    await page.locator('#preview[data-state="done"]').waitFor({ timeout: 30_000 })
    return page.evaluate(() => {
      const box = document.getElementById('preview')!
      const canvases = [...box.querySelectorAll('canvas')]
      // Pixels that are not the white of an empty page: the text PDF.js drew.
      const inked = canvases.map((c) => {
        const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height)
        let n = 0
        for (let i = 0; i < data.length; i += 4) if (data[i]! < 200 && data[i + 3]! > 0) n++
        return n
      })
      return { pages: box.dataset.pages, canvases: canvases.length, inked, status: document.getElementById('preview-status')!.textContent }
    })
  }

  it('names the sender, draws the PDF, sets the name in the signature font, and signs only with consent', async () => {
    const doc = await sentDocument(server, key, await makePdf(2), [{ name: 'Ada Lovelace', email: 'ada@example.com' }], 'Supply contract')
    const url: string = doc.recipients[0].signing_url
    await page.goto(url)
    expect(await page.locator('p.lead').textContent()).toBe(`${ORG} sent you “Supply contract” to sign.`)

    const drawn = await previewDone()
    expect(drawn.pages).toBe('2')
    expect(drawn.canvases).toBe(2)
    for (const n of drawn.inked) expect(n).toBeGreaterThan(50)
    expect(drawn.status).toBe('2 pages.')

    const font = await page.evaluate(async () => {
      await document.fonts.ready
      const faces = [...document.fonts].filter((f) => f.family.replace(/"/g, '') === 'Dancing Script')
      return {
        statuses: faces.map((f) => f.status),
        check: document.fonts.check('28px "Dancing Script"', 'Ada Lovelace'),
        family: getComputedStyle(document.getElementById('name')!).fontFamily,
      }
    })
    expect(font.statuses).toContain('loaded')
    expect(font.check).toBe(true)
    expect(font.family).toMatch(/^"Dancing Script"/)

    // The browser holds the form back while the box is unticked: nothing is posted.
    const posts: string[] = []
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(r.url())
    })
    await page.getByRole('button', { name: 'Sign document' }).click()
    expect(await page.locator('#consent').evaluate((box: HTMLInputElement) => box.validity.valueMissing)).toBe(true)
    expect(posts).toEqual([])
    // And the server refuses a form that skips the browser's check.
    await page.locator('#consent').evaluate((box: HTMLInputElement) => box.removeAttribute('required'))
    const refused = page.waitForResponse((r) => r.request().method() === 'POST')
    await page.getByRole('button', { name: 'Sign document' }).click()
    expect((await refused).status()).toBe(400)
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Tick the box to agree to sign electronically')
    expect((await server.api('GET', `/documents/${doc.id}`, { key })).body.recipients[0].status).toBe('PENDING')

    await page.getByLabel(/I agree to sign this document electronically/).check()
    await page.getByRole('button', { name: 'Sign document' }).click()
    await page.getByRole('heading', { name: 'Signed. Thank you, Ada Lovelace.' }).waitFor()
    expect((await server.api('GET', `/documents/${doc.id}`, { key })).body.status).toBe('COMPLETED')

    // The signed copy is drawn on the answered page too.
    await page.goto(url)
    expect((await previewDone()).canvases).toBe(2)
    expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([])
    expect(elsewhere).toEqual([])
  }, 120_000)

  it('is in standards mode and never scrolls sideways at 390 and 1280 px', async () => {
    const signer = { name: 'Maximiliane Theodora von Hohenzollern-Sigmaringen', email: 'maximiliane.theodora.von.hohenzollern@logistik-lagerverwaltung.example' }
    const doc = await sentDocument(server, key, await makePdf(3), [signer], 'Rahmenvertrag über die Lagerhaltung und Kommissionierung von Gefahrgütern der Klassen 3 und 8')
    const url: string = doc.recipients[0].signing_url
    const problems: string[] = []
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 800 })
      await page.goto(url)
      await previewDone()
      const m = await page.evaluate(() => ({ mode: document.compatMode, scroll: document.documentElement.scrollWidth, inner: innerWidth }))
      await page.screenshot({ path: path.join(shots, `sign-${width}.png`), fullPage: true })
      if (m.mode !== 'CSS1Compat') problems.push(`${width}: ${m.mode}`)
      if (m.scroll > m.inner) problems.push(`${width}: ${m.scroll} px wide`)
    }
    expect(problems, `screenshots in ${shots}`).toEqual([])
  }, 120_000)
})
