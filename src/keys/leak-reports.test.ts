import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { engines, startServer, type TestServer } from '../../test/harness.js'
import { createReseller } from '../cli.js'

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

function keyPair(): { publicPem: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey }
}

/** As GitHub sends it: ECDSA P-256 with SHA-256 over the raw body, the DER signature in base64. */
function signed(body: string, privateKey: KeyObject, identifier: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'github-public-key-identifier': identifier,
    'github-public-key-signature': sign('sha256', Buffer.from(body), privateKey).toString('base64'),
  }
}

describe.each(engines)('leak reports (%s)', (engine) => {
  let server: TestServer
  let org: { orgId: string; key: string }
  const scanner = keyPair()
  const stranger = keyPair()
  const identifier = 'bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c'
  let dir: string
  /** Everything the server logs, at debug level. */
  const logs: string[] = []

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-leaks-'))
    const file = path.join(dir, 'keys.json')
    fs.writeFileSync(file, JSON.stringify({ public_keys: [{ key_identifier: identifier, key: scanner.publicPem, is_current: true }] }))
    server = await startServer({ engine, env: { PORTICO_LEAK_REPORT_KEYS: file, PORTICO_AUTH_FAILURES_PER_MINUTE: '1000' }, logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }) })
    org = await server.createOrg('Leaky')
  })
  afterAll(async () => {
    await server.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  const report = (body: string, headers: Record<string, string>) =>
    fetch(`${server.url}/api/v1/platform/leaked-keys`, { method: 'POST', body, headers }).then(async (res) => ({ status: res.status, body: await res.json() }))

  it('revokes a reported key at once, audits it, emits api_key.leaked and answers the labels', async () => {
    const hook = await server.api('POST', '/webhooks', { key: org.key, body: { url: 'http://127.0.0.1:9/hook', events: ['api_key.leaked'] } })
    expect(hook.status).toBe(201)
    const victim = (await server.api('POST', '/keys', { key: org.key, body: { name: 'Pushed to GitHub' } })).body
    const imported = `legacy_${randomBytes(20).toString('hex')}`
    const imp = await server.api('POST', '/keys/import', { key: org.key, body: { hash: sha256(imported), prefix: 'legacy_', name: 'Old one' } })
    const reseller = await createReseller(server.db.handle, server.config, 'Leaky reseller')
    expect((await server.api('GET', '/health', { key: victim.key })).status).toBe(200)

    const body = JSON.stringify([
      { token: victim.key, type: 'portico_api_key', url: 'https://github.com/octo/repo/blob/abc/config.js', source: 'content' },
      { token: 'ptk_' + 'A'.repeat(48), type: 'portico_api_key', url: 'https://github.com/octo/repo/blob/abc/x', source: 'content' },
      { token: imported, type: 'portico_api_key', url: 'https://gist.github.com/octo/1', source: 'gist' },
      { token: reseller.key, type: 'portico_reseller_key', url: 'https://github.com/octo/repo/issues/1', source: 'issue' },
    ])
    const res = await report(body, signed(body, scanner.privateKey, identifier))
    expect(res.status).toBe(200)
    expect(res.body).toEqual([
      { token_raw: victim.key, token_type: 'portico_api_key', label: 'true_positive' },
      { token_raw: 'ptk_' + 'A'.repeat(48), token_type: 'portico_api_key', label: 'false_positive' },
      { token_raw: imported, token_type: 'portico_api_key', label: 'true_positive' },
      { token_raw: reseller.key, token_type: 'portico_reseller_key', label: 'true_positive' },
    ])
    for (const key of [victim.key, imported, reseller.key]) expect((await server.api('GET', '/health', { key })).body.error.code).toBe('api_key_revoked')
    const got = await server.api('GET', `/keys/${victim.id}`, { key: org.key })
    expect(got.body).toMatchObject({ status: 'revoked', revoked_reason: 'leaked' })
    expect((await server.api('GET', `/keys/${imp.body.id}`, { key: org.key })).body.revoked_reason).toBe('leaked')

    const events = await server.api('GET', '/events?type=api_key.leaked', { key: org.key })
    expect(events.body.data).toHaveLength(2)
    const ofVictim = events.body.data.find((e: { data: { key: { id: string } } }) => e.data.key.id === victim.id)
    expect(ofVictim.data).toMatchObject({ key: { id: victim.id, prefix: victim.prefix, revoked_reason: 'leaked' }, url: 'https://github.com/octo/repo/blob/abc/config.js', source: 'content', token_type: 'portico_api_key' })
    const db = server.portico.database.db
    const deliveries = await db.selectFrom('webhook_deliveries' as 'api_keys').selectAll().where('endpoint_id' as 'id', '=', hook.body.id).execute()
    expect(deliveries).toHaveLength(2)
    const audit = await db.selectFrom('audit_log').selectAll().where('action', '=', 'api_key.leaked').execute()
    const resellerKeyId = (await db.selectFrom('api_keys').select('id').where('hash', '=', sha256(reseller.key)).executeTakeFirstOrThrow()).id
    expect(audit.map((a) => a.target_id).sort()).toEqual([victim.id, imp.body.id, resellerKeyId].sort())
    // The key itself is in no event, delivery or audit row.
    for (const table of ['events', 'webhook_deliveries', 'audit_log']) {
      const dump = JSON.stringify(await db.selectFrom(table as 'events').selectAll().execute())
      for (const key of [victim.key, imported, reseller.key]) expect(dump).not.toContain(key)
    }

    // Nor in anything the server logged.
    for (const key of [victim.key, imported, reseller.key]) expect(logs.join('\n')).not.toContain(key)
    expect(logs.join('\n')).toContain('/platform/leaked-keys')

    // Reported again: still a true positive, nothing to revoke twice.
    const again = await report(body, signed(body, scanner.privateKey, identifier))
    expect(again.body[0].label).toBe('true_positive')
  })

  it('a badly signed or unsigned report changes nothing', async () => {
    const key = (await server.api('POST', '/keys', { key: org.key, body: { name: 'Still fine' } })).body
    const body = JSON.stringify([{ token: key.key, type: 'portico_api_key', url: 'https://github.com/x', source: 'content' }])
    const cases: Record<string, string>[] = [
      signed(body, stranger.privateKey, identifier),
      signed(body, scanner.privateKey, 'unknown-identifier'),
      // Signed over other bytes than those sent.
      signed(body + ' ', scanner.privateKey, identifier),
      { 'content-type': 'application/json', 'github-public-key-identifier': identifier },
      { 'content-type': 'application/json' },
      { ...signed(body, scanner.privateKey, identifier), 'github-public-key-signature': 'not base64!' },
    ]
    for (const headers of cases) {
      const res = await report(body, headers)
      expect(res.status).toBe(403)
      expect(res.body.error).toMatchObject({ code: 'forbidden' })
      expect(res.body.error.request_id).toMatch(/./)
    }
    expect((await server.api('GET', '/health', { key: key.key })).status).toBe(200)
    expect((await server.api('GET', `/keys/${key.id}`, { key: org.key })).body).toMatchObject({ status: 'active', revoked_reason: null })
  })

  it('refuses a signed body that is not the partner format, and one over the cap', async () => {
    const notArray = JSON.stringify({ token: 'x' })
    expect((await report(notArray, signed(notArray, scanner.privateKey, identifier))).status).toBe(400)
    const big = JSON.stringify([{ token: 'x'.repeat(1000), type: 't', url: 'u'.repeat(2_000_000), source: 's' }])
    expect((await report(big, signed(big, scanner.privateKey, identifier))).status).toBe(413)
  })

  it('is 404 where PORTICO_LEAK_REPORT_KEYS is not set', async () => {
    const plain = await startServer({ engine })
    try {
      const body = '[]'
      const res = await fetch(`${plain.url}/api/v1/platform/leaked-keys`, { method: 'POST', body, headers: signed(body, scanner.privateKey, identifier) })
      expect(res.status).toBe(404)
      expect((await res.json()).error.code).toBe('not_found')
    } finally {
      await plain.close()
    }
  })
})
