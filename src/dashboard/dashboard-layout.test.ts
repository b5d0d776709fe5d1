import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../../test/harness.js'

const CHROMIUM = '/usr/bin/chromium'
const runBrowser = fs.existsSync(CHROMIUM) || Boolean(process.env.CI)
const root = path.resolve(import.meta.dirname, '../..')
const ORG = 'Internationale Handelsgesellschaft für Logistik und Lagerverwaltung GmbH & Co. KG'
const OWNER = 'Maximiliane Theodora von Hohenzollern-Sigmaringen'

/**
 * The README's order (`portico org create` first, then `portico setup-link`), then every page at
 * 390 and 1280 px with long names and a key in its grace period: standards mode, no sideways scroll.
 */
describe.runIf(runBrowser)('dashboard layout in Chromium', () => {
  let server: TestServer
  let browser: Browser
  let page: Page
  const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-layout-'))
  const cli = (args: string[]) => spawnSync(process.execPath, ['bin/portico.mjs', ...args], { cwd: root, env: { ...process.env, DATABASE_URL: server.db.url, LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: 60_000 })

  beforeAll(async () => {
    server = await startServer({ startBackground: true })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage()
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('reaches the dashboard after org create by setup-link, and every page holds at 390 and 1280 px', async () => {
    const created = cli(['org', 'create', '--name', ORG])
    expect(created.status, created.stderr).toBe(0)
    const orgId = /[0-9a-f-]{36}/.exec(created.stdout)![0]
    const issued = cli(['setup-link', '--org', orgId])
    expect(issued.status, issued.stderr).toBe(0)
    const link = /(http\S+\/setup\/owner\/\S+)/.exec(issued.stdout)![1]!
    await page.goto(link.replace(/^http:\/\/[^/]+/, server.url))
    await page.getByLabel('Your name').fill(OWNER)
    await page.getByLabel('E-mail').fill('maximiliane.theodora.von.hohenzollern@logistik-lagerverwaltung.example')
    await page.getByLabel('Password').fill('correct horse battery staple')
    await page.locator('button[type=submit]').click()
    await page.waitForURL('**/keys')

    const mint = async (name: string, scopes: string[]) => {
      await page.goto(`${server.url}/keys`)
      await page.locator('details.card', { hasText: 'Mint key' }).evaluate((d: HTMLDetailsElement) => (d.open = true))
      await page.getByLabel('Name', { exact: true }).fill(name)
      for (const s of scopes) await page.getByRole('checkbox', { name: new RegExp(`^${s}`) }).check()
      await page.getByRole('button', { name: 'Mint key' }).click()
      await page.getByRole('button', { name: 'I have stored it' }).click()
    }
    await mint('Back-office synchronisation for the warehouse management system', ['draft', 'actions', 'admin'])
    await mint('CI pipeline', ['draft'])
    await page.goto(`${server.url}/keys`)
    await page.getByRole('link', { name: /^Roll Back-office/ }).click()
    await page.locator('#grace').selectOption('604800')
    await page.getByRole('button', { name: 'Roll key' }).click()
    await page.getByRole('button', { name: 'I have stored it' }).click()
    await page.goto(`${server.url}/webhooks`)
    await page.getByLabel('Endpoint URL').fill('https://hooks.internationale-handelsgesellschaft-logistik.example/webhooks/portico/receive-all-the-events')
    await page.getByRole('button', { name: 'Add endpoint' }).click()
    const hook = new URL(page.url()).pathname

    const pages = ['/keys', '/keys?status=all', '/webhooks', hook, '/members', '/usage', '/audit', '/ai']
    const problems: string[] = []
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 800 })
      for (const p of pages) {
        await page.goto(`${server.url}${p}`)
        const m = await page.evaluate(() => ({ mode: document.compatMode, scroll: document.documentElement.scrollWidth, inner: innerWidth }))
        await page.screenshot({ path: path.join(shots, `${width}${p.replace(/[^a-z0-9]+/gi, '_')}.png`), fullPage: true })
        if (m.mode !== 'CSS1Compat') problems.push(`${width} ${p}: ${m.mode}`)
        if (m.scroll > m.inner) problems.push(`${width} ${p}: ${m.scroll} px wide`)
      }
      // The grace-period key's Revoke stays on screen.
      await page.goto(`${server.url}/keys`)
      const revoke = await page.getByRole('button', { name: /^Revoke Back-office/ }).last().boundingBox()
      if (!revoke || revoke.x + revoke.width > width) problems.push(`${width}: a Revoke button is off screen`)
    }
    expect(problems, `screenshots in ${shots}`).toEqual([])
  }, 240_000)
})
