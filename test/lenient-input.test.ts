import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReseller, createServiceKey } from '../src/cli.js'
import { shippedModules } from '../examples/main.js'
import { engines, startServer, type TestServer } from './harness.js'
import { makePdf } from './pdf-fixture.js'

const ID = '00000000-0000-4000-8000-000000000000'

/** Input means what it says: no `null` read as `{}`, no strings or booleans read as numbers, no second live successor. */
describe.each(engines)('lenient input (%s)', (engine) => {
  let server: TestServer
  let key: string
  let resellerKey: string
  let serviceKey: string
  beforeAll(async () => {
    server = await startServer({ engine, modules: await shippedModules(), env: { PORTICO_AUTH_FAILURES_PER_MINUTE: '100000' } })
    key = (await server.createOrg()).key
    resellerKey = (await createReseller(server.db.handle, server.config, 'Partner')).key
    serviceKey = (await createServiceKey(server.db.handle, server.config, 'Backend')).key
  })
  afterAll(() => server.close())

  const keyCount = async () => Number((await server.db.handle.db.selectFrom('api_keys').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
  const raw = (method: string, path: string, body: string, k = key) => server.api(method, path, { key: k, body, headers: { 'content-type': 'application/json' } })

  it('a JSON body of null, or any non-object, is 400 for every operation with a body, all-optional ones too', async () => {
    const ops = server.portico.registry.all().filter((op) => op.body && op.bodyTypes.includes('json'))
    expect(ops.some((op) => op.id === 'keys.roll')).toBe(true)
    for (const op of ops) {
      for (const body of ['null', '"text"', '42', 'true', '[]']) {
        const res = await raw(op.method.toUpperCase(), op.path.replace(/\{\w+\}/g, ID), body, op.audience === 'reseller' ? resellerKey : op.audience === 'service' ? serviceKey : key)
        expect(res.status, `${op.id} ${body}: ${res.text}`).toBe(400)
        expect(res.body.error.code, op.id).toBe('validation_error')
        expect(res.body.error.fields, op.id).toEqual({ '(body)': 'must be an object' })
      }
    }
  })

  it('rolling with a null body rolls nothing; an empty body is the documented {}', async () => {
    const minted = (await server.api('POST', '/keys', { key, body: { name: 'to roll' } })).body
    const before = await keyCount()
    expect((await raw('POST', `/keys/${minted.id}/roll`, 'null')).status).toBe(400)
    expect(await keyCount()).toBe(before)
    expect((await server.api('GET', `/keys/${minted.id}`, { key })).body.revoked_at).toBeNull()
    const rolled = await server.api('POST', `/keys/${minted.id}/roll`, { key })
    expect(rolled.status, rolled.text).toBe(201)
    expect((await server.api('GET', `/keys/${minted.id}`, { key })).body.status).toBe('revoked')
  })

  it('fields.create takes JSON numbers only', async () => {
    const file_base64 = Buffer.from(await makePdf(1)).toString('base64')
    const doc = (await server.api('POST', '/documents', { key, body: { title: 'NDA', file_base64, recipients: [{ name: 'Sam', email: 'sam@example.com' }] } })).body
    const valid = { type: 'SIGNATURE', page: 1, x: 10, y: 10, width: 100, height: 30, recipientId: doc.recipients[0].id }
    for (const field of ['page', 'x', 'y', 'width', 'height'] as const) {
      for (const value of [true, '', ' ', [], [null], '1', null]) {
        const res = await server.api('POST', `/documents/${doc.id}/fields`, { key, body: { ...valid, [field]: value } })
        expect(res.status, `${field}=${JSON.stringify(value)}: ${res.text}`).toBe(400)
        expect(Object.keys(res.body.error.fields)).toEqual([field])
      }
    }
    expect((await server.api('POST', `/documents/${doc.id}/fields`, { key, body: valid })).status).toBe(201)
    expect((await server.api('GET', `/documents/${doc.id}/fields`, { key })).body.data).toHaveLength(1)
  })

  it.each([
    ['an organisation key', '/keys'],
    ['a reseller key', '/reseller/keys'],
  ])('rolling %s that is in its grace period is 409: one live successor at most, even when two rolls race', async (_name, base) => {
    const k = base === '/keys' ? key : resellerKey
    const minted = (await server.api('POST', base, { key: k, body: { name: 'rolled once' } })).body
    const first = await server.api('POST', `${base}/${minted.id}/roll`, { key: k, body: { grace_period_seconds: 3600 } })
    expect(first.status, first.text).toBe(201)
    const second = await server.api('POST', `${base}/${minted.id}/roll`, { key: k, body: { grace_period_seconds: 3600 } })
    expect(second.status, second.text).toBe(409)
    expect(second.body.error.code).toBe('conflict')
    expect(second.body.error.message).toMatch(/already rolled/)

    const racer = (await server.api('POST', base, { key: k, body: { name: 'raced' } })).body
    const answers = await Promise.all([1, 2, 3].map(() => server.api('POST', `${base}/${racer.id}/roll`, { key: k, body: { grace_period_seconds: 3600 } })))
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409])
    const successors = await server.db.handle.db.selectFrom('api_keys').select('id').where('rolled_from', 'in', [minted.id, racer.id]).execute()
    expect(successors).toHaveLength(2)
  })
})
