/**
 * Every kind of token Portico issues, made through the flows that issue it on the shipped server
 * (its own process, LOG_LEVEL=trace, every line it writes captured), then searched for in that
 * output and in a dump of every column of every table. The one line printed on purpose (the
 * first-run link, on the console of an empty deployment) is the only place a token may appear in
 * the output; webhook signing secrets are stored (they sign every delivery and are shown again
 * by GET /webhooks/{id}) in their endpoint's row only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ownerLink, resetLink } from '../../src/cli/accounts.js'
import { createOrganization, createReseller, createServiceKey } from '../../src/cli.js'
import { loadConfig } from '../../src/core/config.js'
import { startChildServer, type ChildServer } from '../child-server.js'
import { createTestDatabase, engines, type TestDatabase } from '../harness.js'
import { makePdf } from '../pdf-fixture.js'
import { Visitor } from '../visitor.js'
import { Coverage } from './coverage.js'
import { dumpDatabase } from './database-dump.js'
import { callTool } from './doorways.js'

type Kind =
  | 'organisation key'
  | 'reseller key'
  | 'service key'
  | 'dashboard session'
  | 'setup link'
  | 'signing link'
  | 'embed token'
  | 'direct link'
  | 'webhook secret'
  | 'first-run link'
  | 'owner link'
  | 'reset link'
const kinds: Kind[] = [
  'organisation key',
  'reseller key',
  'service key',
  'dashboard session',
  'setup link',
  'signing link',
  'embed token',
  'direct link',
  'webhook secret',
  'first-run link',
  'owner link',
  'reset link',
]

/** Where a token may be stored: its kind's own column, when the contract needs it back in plaintext. */
const storedOnPurpose: Partial<Record<Kind, string[]>> = { 'webhook secret': ['webhook_endpoints.secret', 'webhook_endpoints.previous_secret'] }
const FIRST_RUN_LINE = /Set up Portico \(this link works once\): (\S+)/

const lastSegment = (url: string) => new URL(url).pathname.split('/').filter(Boolean).at(-1)!

describe.each(engines)('secrets in logs and in the database (%s)', (engine) => {
  let db: TestDatabase
  let server: ChildServer
  const tokens: { kind: Kind; value: string }[] = []
  const coverage = new Coverage(`secrets (${engine})`, 'token kinds')
  const keep = (kind: Kind, value: string | undefined) => {
    if (!value) throw new Error(`no ${kind} to keep`)
    tokens.push({ kind, value })
    return value
  }

  beforeAll(async () => {
    db = await createTestDatabase(engine)
    server = await startChildServer({ DATABASE_URL: db.url, LOG_LEVEL: 'trace', PORTICO_RATE_LIMITS: 'general=100000/60,send=100000/60', ...db.childEnv })
  })
  afterAll(async () => {
    coverage.print()
    await server?.stop()
    await db?.handle.close()
    await db?.drop()
  })

  const api = async (key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const json = (await res.json()) as any
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`)
    return json
  }

  it('no token of any kind is in the server output or in any column of any table after the flows that issue each', { timeout: 120_000 }, async () => {
    // First run: the printed link creates the organisation and its Owner, signed in.
    // Printed just after the listening line.
    for (let i = 0; i < 100 && !FIRST_RUN_LINE.test(server.output()); i++) await new Promise((r) => setTimeout(r, 50))
    const firstRun = FIRST_RUN_LINE.exec(server.output())?.[1]
    keep('first-run link', lastSegment(firstRun!))
    const owner = new Visitor(server.url)
    await owner.get(firstRun!)
    const created = await owner.post(firstRun!, { org: 'Secrets Inc', name: 'Olive Owner', email: 'olive@secrets.example', password: 'a long owner password' })
    expect(created.status).toBe(303)
    keep('dashboard session', owner.cookies.get('portico_session'))

    // A key minted in the dashboard, then keys minted, rolled (with an Idempotency-Key) and minted over MCP with it.
    await owner.get('/keys')
    const page = await owner.post('/keys', { name: 'Everything', scopes: ['read', 'draft', 'actions', 'admin'], expires_in: 'never' })
    const key = keep('organisation key', /ptk_[0-9A-Za-z]{48}/.exec(page.text)?.[0])
    const minted = await api(key, 'POST', '/keys', { name: 'second', scopes: ['read'] }, { 'idempotency-key': 'mint-once' })
    keep('organisation key', minted.key)
    await api(key, 'POST', '/keys', { name: 'second', scopes: ['read'] }, { 'idempotency-key': 'mint-once' })
    keep('organisation key', (await api(key, 'POST', `/keys/${minted.id}/roll`, { grace_period_seconds: 60 })).key)
    const viaMcp = await callTool(server.url, key, 'keys_create', { name: 'from an assistant', scopes: ['read'] })
    keep('organisation key', viaMcp.json.result.structuredContent.key)
    // A mistyped key is refused, and its near-miss must not be logged either.
    await fetch(`${server.url}/api/v1/health`, { headers: { authorization: `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}` } })

    // Reseller keys, a provisioned organisation and a user whose setup link signs them in.
    const reseller = await createReseller(db.handle, loadConfig({ DATABASE_URL: db.url }), 'Secrets Partners')
    const resellerKey = keep('reseller key', reseller.key)
    const resellerMinted = await api(resellerKey, 'POST', '/reseller/keys', { name: 'second', scopes: ['read', 'admin'] })
    keep('reseller key', resellerMinted.key)
    keep('reseller key', (await api(resellerKey, 'POST', `/reseller/keys/${resellerMinted.id}/roll`, {})).key)
    // A service key, which verifies the organisation keys above and posts an event (a key mistyped too).
    const service = await createServiceKey(db.handle, loadConfig({ DATABASE_URL: db.url }), 'Backend')
    const serviceKey = keep('service key', service.key)
    expect((await api(serviceKey, 'POST', '/platform/verify', { key })).code).toBe('valid')
    expect((await api(serviceKey, 'POST', '/platform/verify', { key: `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}` })).code).toBe('invalid_api_key')
    await fetch(`${server.url}/api/v1/health`, { headers: { authorization: `${serviceKey.slice(0, -1)}${serviceKey.endsWith('x') ? 'y' : 'x'}` } })
    const org = await api(resellerKey, 'POST', '/reseller/organizations', { name: 'Provisioned' })
    keep('organisation key', (await api(resellerKey, 'POST', `/reseller/organizations/${org.id}/keys`, { name: 'theirs' })).key)
    const user = await api(resellerKey, 'POST', `/reseller/organizations/${org.id}/users`, { email: 'pat@provisioned.example', name: 'Pat', role: 'owner' })
    keep('setup link', lastSegment(user.setup_url))
    const pat = new Visitor(server.url)
    await pat.get(user.setup_url)
    expect((await pat.post(user.setup_url, { password: 'a long enough password' })).status).toBe(303)
    keep('dashboard session', pat.cookies.get('portico_session'))

    // An invitation from the dashboard, and a plain sign-in.
    await owner.get('/members')
    const invited = await owner.post('/members', { email: 'ivy@secrets.example', name: 'Ivy', role: 'admin' })
    const invitation = /https?:\/\/[^"<\s]+\/setup\/[A-Za-z0-9_-]+/.exec(invited.text)?.[0]
    keep('setup link', lastSegment(invitation!))
    await new Visitor(server.url).get(invitation!)
    const again = new Visitor(server.url)
    expect((await again.signIn('olive@secrets.example', 'a long owner password')).status).toBe(303)
    keep('dashboard session', again.cookies.get('portico_session'))

    // The operator's links: the first Owner of an organisation made at the command line, and a password reset.
    const operatorConfig = loadConfig({ DATABASE_URL: db.url, PORTICO_PUBLIC_URL: server.url })
    const bare = await createOrganization(db.handle, operatorConfig, 'Bare Org')
    keep('organisation key', bare.key)
    const ownerUrl = (await ownerLink(db.handle, operatorConfig, bare.org.id)).url
    keep('owner link', lastSegment(ownerUrl))
    const bo = new Visitor(server.url)
    await bo.get(ownerUrl)
    expect((await bo.post(ownerUrl, { name: 'Bo', email: 'bo@secrets.example', password: 'bo has a long password' })).status).toBe(303)
    keep('dashboard session', bo.cookies.get('portico_session'))
    const resetUrl = (await resetLink(db.handle, operatorConfig, 'olive@secrets.example')).url
    keep('reset link', lastSegment(resetUrl))
    const olive = new Visitor(server.url)
    await olive.get(resetUrl)
    expect((await olive.post(resetUrl, { password: 'olive resets hers' })).status).toBe(303)
    keep('dashboard session', olive.cookies.get('portico_session'))

    // Signing links, an embed token and a direct link, each opened and used as a recipient would.
    const file_base64 = Buffer.from(await makePdf(1)).toString('base64')
    const doc = await api(key, 'POST', '/documents', { title: 'Secret contract', file_base64, recipients: [{ name: 'Sam', email: 'sam@secrets.example' }, { name: 'Val', email: 'val@secrets.example' }] })
    for (const r of doc.recipients) await api(key, 'POST', `/documents/${doc.id}/fields`, { type: 'SIGNATURE', page: 1, x: 72, y: 100, width: 200, height: 40, recipientId: r.id })
    const sent = await api(key, 'POST', `/documents/${doc.id}/send`, undefined, { 'idempotency-key': 'send-once' })
    await api(key, 'POST', `/documents/${doc.id}/send`, undefined, { 'idempotency-key': 'send-once' })
    const [sam, val] = sent.recipients as { id: string; signing_url: string }[]
    keep('signing link', lastSegment(sam!.signing_url))
    await fetch(sam!.signing_url)
    await fetch(sam!.signing_url, { method: 'POST', body: new URLSearchParams({ name: 'Sam', action: 'sign', consent: 'yes' }) })
    const embed = await api(key, 'POST', `/documents/${doc.id}/recipients/${val!.id}/embed-token`)
    keep('embed token', embed.token)
    await fetch(embed.url)
    await fetch(`${embed.url.split('?')[0]}/document.pdf`)
    const template = await api(key, 'POST', '/templates', { title: 'Secret template', document_id: (await api(key, 'POST', `/documents/${doc.id}/duplicate`)).id })
    const link = await api(key, 'POST', `/templates/${template.id}/direct-link`)
    keep('direct link', lastSegment(link.url))
    await fetch(link.url)
    const visited = await fetch(link.url, { method: 'POST', body: new URLSearchParams({ name: 'Dee Visitor', email: 'dee@secrets.example' }), redirect: 'manual' })
    keep('signing link', lastSegment(visited.headers.get('location')!))
    await fetch(visited.headers.get('location')!)

    // Webhook secrets: created, read back, rotated.
    const hook = await api(key, 'POST', '/webhooks', { url: 'http://127.0.0.1:9/secrets', events: ['*'] })
    keep('webhook secret', hook.secret)
    await api(key, 'GET', `/webhooks/${hook.id}`)
    keep('webhook secret', (await api(key, 'POST', `/webhooks/${hook.id}/rotate-secret`, { grace_period_seconds: 3600 })).secret)
    await api(key, 'POST', `/webhooks/${hook.id}/test`)

    // Give the server a moment to write its last lines (and batched last-use and usage counts).
    await new Promise((r) => setTimeout(r, 1500))
    const output = server
      .output()
      .split('\n')
      .filter((line) => !FIRST_RUN_LINE.test(line))
      .join('\n')
    const cells = await dumpDatabase(db.handle.db, engine)
    expect(output).toContain('"path":"/api/v1/keys"') // the request log was captured
    expect(cells.length).toBeGreaterThan(100)

    const found: string[] = []
    for (const { kind, value } of tokens) {
      coverage.count('tokens searched for', kind)
      // A key is also looked for without its prefix, as a log that trimmed it would still hold it.
      const needles = /^(ptk|rsk)_/.test(value) ? [value, value.slice(4)] : [value]
      for (const needle of needles) {
        const line = output.split('\n').find((l) => l.includes(needle))
        if (line) found.push(`${kind} in the output: ${line.replaceAll(needle, '<TOKEN>').slice(0, 200)}`)
        for (const cell of cells.filter((c) => c.text.includes(needle))) {
          if (!storedOnPurpose[kind]?.includes(`${cell.table}.${cell.column}`)) found.push(`${kind} in ${cell.table}.${cell.column}`)
        }
      }
    }
    expect(new Set(tokens.map((t) => t.kind))).toEqual(new Set(kinds))
    expect([...new Set(found)]).toEqual([])
  })
})
