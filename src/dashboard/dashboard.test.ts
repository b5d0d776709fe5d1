import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../../test/harness.js'

const CHROMIUM = '/usr/bin/chromium'
const shots = path.resolve(import.meta.dirname, '../../test-artifacts/screenshots')
// CI installs Chromium and must run these; elsewhere they need it installed (apt-get install chromium).
const runBrowser = fs.existsSync(CHROMIUM) || Boolean(process.env.CI)

describe.runIf(runBrowser)('dashboard in Chromium', () => {
  let server: TestServer
  let browser: Browser
  const owner = { email: 'owner@acme.example', password: 'correct horse battery' }

  beforeAll(async () => {
    server = await startServer()
    fs.mkdirSync(shots, { recursive: true })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true })
  const health = (key: string) => fetch(`${server.url}/api/v1/health`, { headers: { authorization: `Bearer ${key}` } })

  it('sets up, signs in, mints a key shown once, revokes it, and enforces roles and CSRF', async () => {
    const link = await server.portico.firstRunLink()
    expect(link).toBeDefined()
    const context = await browser.newContext()
    const page = await context.newPage()
    page.on('dialog', (dialog) => void dialog.accept())

    // First run: one organisation and its Owner, once.
    await page.goto(link!)
    await shot(page, '01-setup')
    await page.getByLabel('Organisation name').fill('Acme')
    await page.getByLabel('Your name').fill('Olive Owner')
    await page.getByLabel('E-mail').fill(owner.email)
    await page.getByLabel('Password (at least 10 characters)').fill(owner.password)
    await page.getByRole('button', { name: 'Create organisation' }).click()
    await page.waitForURL('**/keys')
    expect((await fetch(link!)).status).toBe(410)

    // Sign out and back in.
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL('**/login')
    await shot(page, '02-login')
    await page.getByLabel('E-mail').fill(owner.email)
    await page.getByLabel('Password').fill(owner.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL('**/keys')

    // Mint: read is pre-checked; add draft; the key appears once in a dialog with a copy button.
    await page.getByLabel('Name').fill('CI pipeline')
    await page.getByRole('checkbox', { name: /draft/ }).check()
    await page.getByLabel('Expires').selectOption('30d')
    await page.getByRole('button', { name: 'Mint key' }).click()
    const dialog = page.getByRole('dialog')
    await expect.poll(() => dialog.isVisible()).toBe(true)
    expect(await dialog.textContent()).toContain('will not be shown again')
    await shot(page, '03-key-minted')
    const key = await page.locator('#new-key').inputValue()
    expect(key).toMatch(/^ptk_[0-9A-Za-z]{48}$/)
    await page.getByRole('button', { name: 'Copy' }).click()
    expect((await health(key)).status).toBe(200)

    // Reloaded, the page holds the key nowhere.
    await page.goto(`${server.url}/keys`)
    expect(await page.content()).not.toContain(key.slice(4))
    expect(await page.textContent('table')).toContain(key.slice(0, 12))
    await shot(page, '04-keys')

    // Revoke in the page (after a confirmation): the next API call is refused.
    await page.getByRole('button', { name: 'Revoke CI pipeline' }).click()
    await page.getByText('Revoked “CI pipeline”').waitFor()
    const refused = await health(key)
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('api_key_revoked')

    // A forged form post without the CSRF token is refused.
    const forged = await page.evaluate(async () => (await fetch('/keys', { method: 'POST', body: new URLSearchParams({ name: 'forged', scopes: 'read' }) })).status)
    expect(forged).toBe(403)

    // Invite a Member, who can look but not mint.
    await page.goto(`${server.url}/members`)
    await page.getByLabel('Name').fill('Mel Member')
    await page.getByLabel('E-mail').fill('mel@acme.example')
    await page.getByLabel('Role').selectOption('member')
    await page.getByRole('button', { name: 'Invite' }).click()
    const invite = await page.locator('#invite-link').inputValue()
    expect(invite).toContain('/setup/')
    await shot(page, '05-members')

    for (const [url, name] of [
      ['/webhooks', '06-webhooks'],
      ['/usage', '07-usage'],
      ['/ai', '08-ai-access'],
    ] as const) {
      await page.goto(`${server.url}${url}`)
      if (url === '/usage') await page.locator('#usage-chart[data-ready="1"]').waitFor()
      await shot(page, name)
    }
    expect(await page.textContent('#mcp-config')).toContain('/mcp')

    const memberContext = await browser.newContext()
    const member = await memberContext.newPage()
    await member.goto(invite)
    await member.getByLabel('Password (at least 10 characters)').fill('member password 123')
    await member.getByRole('button', { name: 'Set password and sign in' }).click()
    await member.waitForURL('**/keys')
    expect(await member.getByText('Mint key').count()).toBe(0)
    await shot(member, '09-keys-as-member')
    const csrf = await member.locator('input[name=_csrf]').first().inputValue()
    const attempt = await member.evaluate(async (token) => {
      const res = await fetch('/keys', { method: 'POST', body: new URLSearchParams({ _csrf: token, name: 'sneaky', scopes: 'read', expires_in: 'never' }) })
      return { status: res.status, text: await res.text() }
    }, csrf)
    expect(attempt.status).toBe(403)
    expect(attempt.text).not.toMatch(/ptk_[0-9A-Za-z]{48}/)
    await memberContext.close()
    await context.close()
  }, 120_000)
})

describe('dashboard without a browser', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server.close())

  it('throttles sign-in attempts and serves pages with a strict CSP', async () => {
    const login = await fetch(`${server.url}/login`)
    expect(login.headers.get('content-security-policy')).toContain("script-src 'self'")
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]!
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) {
      const res = await fetch(`${server.url}/login`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, email: 'nobody@example.com', password: 'wrong password' }),
        redirect: 'manual',
      })
      statuses.push(res.status)
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true)
    expect(statuses[10]).toBe(429)
    const noToken = await fetch(`${server.url}/login`, { method: 'POST', headers: { cookie }, body: new URLSearchParams({ email: 'a@b.co', password: 'x' }) })
    expect(noToken.status).toBe(403)
    expect((await fetch(`${server.url}/keys`, { redirect: 'manual' })).status).toBe(302)
  })
})
