import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { Visitor } from '../../test/visitor.js'
import { hashPassword } from '../members/password.js'

/**
 * One scrypt hash of a password costs tens of ms of CPU; a look-up of a token, well under one.
 * The budget is measured in the same run (the machine's speed varies several-fold between
 * days): the posts together may cost what half of them would if each hashed.
 */
const POSTS = 20

/**
 * Forms that hash a password check their token (or throttle) first, so anonymous posts to a
 * dead link cost a database look-up, not scrypt work. Measured as this process's CPU time, which
 * the server shares with the client here and which a loaded machine does not inflate much.
 */
const cpuMs = async (fn: () => Promise<void>) => {
  const before = process.cpuUsage()
  await fn()
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1000
}

describe.each(engines)('password forms check before they hash (%s)', (engine) => {
  let server: TestServer
  let budgetMs = 0
  beforeAll(async () => {
    server = await startServer({ engine })
    const hashes: number[] = []
    for (let i = 0; i < 3; i++) hashes.push(await cpuMs(() => hashPassword('a perfectly long password').then(() => undefined)))
    budgetMs = (POSTS / 2) * hashes.sort((a, b) => a - b)[1]!
  })
  afterAll(() => server.close())


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
    expect(spent, `${spent.toFixed(0)} ms of CPU for ${POSTS} posts (budget ${budgetMs.toFixed(0)} ms, half of them hashing)`).toBeLessThan(budgetMs)
  })
})
