import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { Visitor } from '../../test/visitor.js'

/** One scrypt hash of a password costs about 50 ms of CPU here; a look-up of a token, well under 5. */
const POSTS = 20
const CPU_BUDGET_MS = 20 * POSTS

/**
 * Forms that hash a password check their token (or throttle) first, so anonymous posts to a
 * dead link cost a database look-up, not scrypt work. Measured as this process's CPU time, which
 * the server shares with the client here and which a loaded machine does not inflate much.
 */
describe.each(engines)('password forms check before they hash (%s)', (engine) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ engine })
  })
  afterAll(() => server.close())

  const cpuMs = async (fn: () => Promise<void>) => {
    const before = process.cpuUsage()
    await fn()
    const used = process.cpuUsage(before)
    return (used.user + used.system) / 1000
  }

  const form = { org: 'Org', name: 'Mallory', email: 'mallory@example.com', password: 'a perfectly long password' }

  it.each([
    ['the first-run form, with a made-up token', (t: string) => `/setup/first-run/${t}`],
    ['a member setup link, with a made-up token', (t: string) => `/setup/${t}`],
  ])('%s', async (_name, path) => {
    // A real pre-session form token (from the sign-in page), so only the link is wrong.
    const visitor = new Visitor(server.url)
    await visitor.get('/login')
    const csrf = visitor.token('_csrf')
    const statuses: number[] = []
    const spent = await cpuMs(async () => {
      for (let i = 0; i < POSTS; i++) statuses.push((await visitor.request(path(randomBytes(32).toString('base64url')), { form: { _csrf: csrf, ...form } })).status)
    })
    expect(new Set(statuses)).toEqual(new Set([410]))
    expect(spent, `${spent.toFixed(0)} ms of CPU for ${POSTS} posts`).toBeLessThan(CPU_BUDGET_MS)
  })
})
