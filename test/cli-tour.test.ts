/**
 * The README's tour as a new user follows it: `portico org create` first, then `portico
 * setup-link` to reach the dashboard; the operator's account commands; and every failure a person
 * meets at the command line answered in one line with an exit code, never a stack trace.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { root, runPortico } from './cli-process.js'
import { runCli } from '../src/cli.js'
import { Visitor } from './visitor.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-tour-'))
const dbUrl = `file:${path.join(dir, 'portico.db')}`
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const cli = (args: string[], env: Record<string, string> = {}) => runPortico(dbUrl, args, env)

/** One line on stderr, no stack frame, the given exit code. */
function expectOneLineFailure(res: { code: number | null; stderr: string }, code: number, text: RegExp) {
  expect(res.code, res.stderr).toBe(code)
  expect(res.stderr).toMatch(text)
  expect(res.stderr).not.toMatch(/\n\s+at /)
  expect(res.stderr.trim().split('\n').length).toBeLessThanOrEqual(2)
}

const linkIn = (text: string, kind: string) => new RegExp(`https?://\\S+/${kind}/[A-Za-z0-9_-]{43}`).exec(text)?.[0]

describe('the tour: org create first, then setup-link to the dashboard', { timeout: 300_000 }, () => {
  let server: ReturnType<typeof spawn>
  let base = ''
  let orgId = ''
  let startOutput = ''

  beforeAll(async () => {
    const created = cli(['org', 'create', '--name', 'Acme'])
    expect(created.code, created.stderr).toBe(0)
    orgId = /organization: (\S+)/.exec(created.stdout)![1]!
    expect(created.stdout).toContain(`portico setup-link --org ${orgId}`)
    server = spawn(process.execPath, ['bin/portico.mjs', 'start'], { cwd: root, env: { ...process.env, DATABASE_URL: dbUrl, PORT: '0', LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] })
    base = await new Promise<string>((resolve, reject) => {
      const lines = readline.createInterface({ input: server.stdout! })
      lines.on('line', (line) => {
        startOutput += line + '\n'
        const match = /listening on (http:\/\/\S+)/.exec(line)
        if (match) setTimeout(() => resolve(match[1]!), 300)
      })
      server.once('exit', (code) => reject(new Error(`server exited ${code}: ${startOutput}`)))
    })
  }, 120_000)

  afterAll(async () => {
    server?.kill('SIGTERM')
    await new Promise((r) => server?.once('exit', r))
  })

  it('start says which organisation has no Owner and the command that fixes it', () => {
    expect(startOutput).toContain(`Acme has no Owner yet: portico setup-link --org ${orgId}`)
  })

  it('setup-link --org makes a link that creates the Owner once and signs them in', async () => {
    const res = cli(['setup-link', '--org', orgId], { PORTICO_PUBLIC_URL: base })
    expect(res.code, res.stderr).toBe(0)
    const link = linkIn(res.stdout, 'setup/owner')!
    expect(link).toBeDefined()
    const owner = new Visitor(base)
    expect((await owner.get(link)).status).toBe(200)
    expect(owner.page).toContain('Set up Acme')
    const done = await owner.post(link, { name: 'Olive Owner', email: 'olive@tour.example', password: 'correct horse battery' })
    expect(done.status, done.text).toBe(303)
    expect(done.location).toBe('/keys')
    expect((await owner.get('/keys')).status).toBe(200)
    expect(owner.page).toContain('Acme')
    // Used: dead for anyone else, and no second link while Acme has an Owner.
    const again = new Visitor(base)
    expect((await again.get(link)).status).toBe(410)
    expectOneLineFailure(cli(['setup-link', '--org', orgId]), 1, /already has an Owner \(olive@tour\.example\).*setup-link --email olive@tour\.example/)
  })

  it('setup-link --email is a password reset that works once and signs the account out elsewhere', async () => {
    const elsewhere = new Visitor(base)
    expect((await elsewhere.signIn('olive@tour.example', 'correct horse battery')).status).toBe(303)
    const res = cli(['setup-link', '--email', 'Olive@Tour.example'], { PORTICO_PUBLIC_URL: base })
    expect(res.code, res.stderr).toBe(0)
    const link = linkIn(res.stdout, 'reset')!
    const me = new Visitor(base)
    await me.get(link)
    const done = await me.post(link, { password: 'a brand new passphrase' })
    expect(done.status, done.text).toBe(303)
    expect((await me.get('/keys')).status).toBe(200)
    expect((await elsewhere.get('/keys')).status).toBe(302) // its session ended with the reset
    expect((await new Visitor(base).signIn('olive@tour.example', 'a brand new passphrase')).status).toBe(303)
    expect((await new Visitor(base).signIn('olive@tour.example', 'correct horse battery')).status).toBe(401)
    expect((await new Visitor(base).get(link)).status).toBe(410)
    expectOneLineFailure(cli(['setup-link', '--email', 'nobody@tour.example']), 1, /no account has the e-mail nobody@tour\.example/)
  })

  it('user create: a new address gets a setup link, an existing account is added without one', async () => {
    const fresh = cli(['user', 'create', '--org', orgId, '--email', 'nia@tour.example', '--role', 'admin', '--name', 'Nia'], { PORTICO_PUBLIC_URL: base })
    expect(fresh.code, fresh.stderr).toBe(0)
    const link = linkIn(fresh.stdout, 'setup')!
    const nia = new Visitor(base)
    await nia.get(link)
    expect((await nia.post(link, { password: 'nia chooses this one' })).status).toBe(303)

    const other = cli(['org', 'create', '--name', 'Beta'])
    const betaId = /organization: (\S+)/.exec(other.stdout)![1]!
    const existing = cli(['user', 'create', '--org', betaId, '--email', 'nia@tour.example', '--role', 'owner'])
    expect(existing.code, existing.stderr).toBe(0)
    expect(existing.stdout).toContain('an existing account: no link')
    expect(linkIn(existing.stdout, 'setup')).toBeUndefined()
    expectOneLineFailure(cli(['user', 'create', '--org', betaId, '--email', 'nia@tour.example', '--role', 'owner']), 1, /already an owner of Beta/)
    expectOneLineFailure(cli(['user', 'create', '--org', betaId, '--email', 'x@tour.example', '--role', 'king']), 1, /--role must be owner, admin or member/)
    expectOneLineFailure(cli(['user', 'create', '--org', 'nope', '--email', 'x@tour.example', '--role', 'member']), 1, /no organisation nope/)
  })

  it('a second organisation of the same name needs --force, and says so', () => {
    expectOneLineFailure(cli(['org', 'create', '--name', 'Acme']), 1, /an organisation named "Acme" already exists .*--force/)
    const forced = cli(['org', 'create', '--name', 'Acme', '--force'])
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stderr).toContain('warning: "Acme" is now the name of 2 organisations')
    expect(cli(['org', 'list']).stdout.match(/ Acme$/gm)).toHaveLength(2)
  })
})

describe('one line and an exit code for every failure', { timeout: 300_000 }, () => {
  it('--help for every command, and usage mistakes', async () => {
    // In process: the same runCli the bin calls, without a process start per case.
    const run = async (args: string[]) => {
      let stdout = ''
      let stderr = ''
      const code = await runCli(args, { env: { DATABASE_URL: dbUrl }, out: (l) => (stdout += l + '\n'), err: (l) => (stderr += l + '\n') })
      return { code, stdout, stderr }
    }
    for (const args of [['org', 'create', '--help'], ['user', 'create', '--help'], ['setup-link', '--help'], ['start', '--help'], ['reseller', '--help'], ['help', 'org']]) {
      const res = await run(args)
      expect(res.code, args.join(' ')).toBe(0)
      expect(res.stdout).toMatch(/^Usage: portico /)
    }
    expectOneLineFailure(await run(['org']), 64, /portico org: which one\? create, list/)
    expectOneLineFailure(await run(['org', 'create']), 64, /--name is required/)
    expectOneLineFailure(await run(['org', 'create', '--nmae', 'x']), 64, /Unknown option '--nmae'/)
    expectOneLineFailure(await run(['frobnicate']), 64, /unknown command "frobnicate"/)
    expectOneLineFailure(await run(['setup-link']), 64, /either --org <id> or --email <address>/)
    // And through the bin, as a person types it: still one line, no stack trace.
    expectOneLineFailure(cli(['org']), 64, /portico org: which one\?/)
  })

  it('a port in use and a HOST that is no address', async () => {
    const holder = net.createServer()
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r))
    const port = String((holder.address() as net.AddressInfo).port)
    try {
      expectOneLineFailure(cli(['start'], { PORT: port }), 69, new RegExp(`cannot listen on 127.0.0.1:${port}: the port is already in use`))
    } finally {
      holder.close()
    }
    expectOneLineFailure(cli(['start'], { HOST: '999.1.1.1', PORT: '0' }), 69, /cannot listen on 999\.1\.1\.1:0: HOST is not an address/)
  }, 120_000)
})
