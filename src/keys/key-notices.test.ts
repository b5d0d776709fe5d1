import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deployment, engines, type Deployment, type TestServer } from '../../test/harness.js'
import { CreditStore } from './credits/credit-store.js'

const DAY = 86_400_000

describe.each(engines)('key expiry notices (%s)', (engine) => {
  let dep: Deployment
  let a: TestServer
  let b: TestServer
  let org: { orgId: string; key: string }

  beforeAll(async () => {
    dep = await deployment(engine)
    a = await dep.instance()
    b = await dep.instance()
    org = await a.createOrg('Notices')
  })
  afterAll(() => dep.close())

  /**
   * Both instances' workers scan the same moment, three times over: at once on PostgreSQL. Two
   * SQLite handles in one process cannot overlap transactions (a handle waiting for the file's
   * lock blocks the event loop the other one needs to finish), so there they take turns.
   */
  const scanBoth = async (at: number) => {
    const [x, y] = [a.portico.services.keyNotices, b.portico.services.keyNotices]
    for (let i = 0; i < 3; i++) {
      if (engine === 'postgres') await Promise.all([x.scan(at), y.scan(at)])
      else await x.scan(at).then(() => y.scan(at))
    }
  }
  const events = async (type: string) => (await a.api('GET', `/events?type=${type}&limit=100`, { key: org.key })).body.data as { data: { key: { id: string }; expires_in?: string } }[]

  it('sends api_key.expiring 7 days and 1 day before, then api_key.expired, each once with two workers', async () => {
    const hook = await a.api('POST', '/webhooks', { key: org.key, body: { url: 'http://127.0.0.1:9/hook', events: ['api_key.expiring', 'api_key.expired'] } })
    expect(hook.status).toBe(201)
    const start = Date.now()
    const key = (await a.api('POST', '/keys', { key: org.key, body: { name: 'Ten days', expires_at: new Date(start + 10 * DAY).toISOString() } })).body

    await scanBoth(start + 2 * DAY) // 8 days left: nothing yet
    expect(await events('api_key.expiring')).toHaveLength(0)

    await scanBoth(start + 3.5 * DAY) // 6.5 days left
    let expiring = (await events('api_key.expiring')).filter((e) => e.data.key.id === key.id)
    expect(expiring.map((e) => e.data.expires_in)).toEqual(['7d'])

    await scanBoth(start + 9.5 * DAY) // half a day left
    expiring = (await events('api_key.expiring')).filter((e) => e.data.key.id === key.id)
    expect(expiring.map((e) => e.data.expires_in).sort()).toEqual(['1d', '7d'])

    await scanBoth(start + 10.5 * DAY)
    await scanBoth(start + 12 * DAY)
    const expired = (await events('api_key.expired')).filter((e) => e.data.key.id === key.id)
    expect(expired).toHaveLength(1)
    expect(expired[0]!.data.key).toMatchObject({ id: key.id, prefix: key.prefix })
    expect(JSON.stringify(expired)).not.toContain(key.key)

    const deliveries = await a.portico.database.db.selectFrom('webhook_deliveries' as 'events').selectAll().where('endpoint_id' as 'id', '=', hook.body.id).execute()
    expect(deliveries).toHaveLength(3)
  })

  it('skips notices a key was created inside, or overtaken ones, and says nothing about revoked keys', async () => {
    const start = Date.now()
    const short = (await a.api('POST', '/keys', { key: org.key, body: { name: 'Three days', expires_at: new Date(start + 3 * DAY).toISOString() } })).body
    const revoked = (await a.api('POST', '/keys', { key: org.key, body: { name: 'Revoked', expires_at: new Date(start + 10 * DAY).toISOString() } })).body
    await a.api('DELETE', `/keys/${revoked.id}`, { key: org.key })

    await scanBoth(start + 0.5 * DAY) // the 3-day key: inside its 7-day window from birth, so no 7-day notice
    await scanBoth(start + 2.5 * DAY) // the 3-day key's 1-day notice
    // A key no scan saw until half a day before its expiry (the workers were down): its 7-day notice is overtaken.
    const late = (await a.api('POST', '/keys', { key: org.key, body: { name: 'Worker was down', expires_at: new Date(start + 9 * DAY).toISOString() } })).body
    await scanBoth(start + 8.5 * DAY) // `late`: its 1-day notice, the overtaken 7-day one never sent
    await scanBoth(start + 11 * DAY)
    const about = async (id: string, type: string) => (await events(type)).filter((e) => e.data.key.id === id).map((e) => e.data.expires_in ?? 'expired')
    expect(await about(short.id, 'api_key.expiring')).toEqual(['1d'])
    expect(await about(short.id, 'api_key.expired')).toEqual(['expired'])
    expect(await about(late.id, 'api_key.expiring')).toEqual(['1d'])
    expect(await about(revoked.id, 'api_key.expiring')).toEqual([])
    expect(await about(revoked.id, 'api_key.expired')).toEqual([])
  })

  it('sends api_key.credits_low once when credits fall below 10% of the amount set, and again only for a new balance', async () => {
    const key = (await a.api('POST', '/keys', { key: org.key, body: { name: 'Metered', credits: { remaining: 10 } } })).body
    expect(key.credits).toMatchObject({ remaining: 10 })
    await scanBoth(Date.now())
    const low = async () => (await events('api_key.credits_low')).filter((e) => e.data.key.id === key.id)
    expect(await low()).toHaveLength(0)
    // Spent as the credit meters spend: the store's one atomic statement (9 of the 10).
    expect(await new CreditStore(a.portico.database.db).take(key.id, 9, 9, Date.now(), null)).toMatchObject({ taken: 9, remaining: 1 })
    await scanBoth(Date.now())
    expect(await low()).toHaveLength(0) // 1 of 10 is not under 10%
    expect(await new CreditStore(a.portico.database.db).take(key.id, 1, 1, Date.now(), null)).toMatchObject({ remaining: 0 })
    await scanBoth(Date.now())
    const sent = await low()
    expect(sent).toHaveLength(1)
    expect(sent[0]!.data).toMatchObject({ key: { id: key.id, prefix: key.prefix }, base: 10 })
    expect((sent[0]!.data as unknown as { remaining: number }).remaining).toBe(0)
    // A new balance is not low: nothing more until it runs low in its turn.
    expect((await a.api('PATCH', `/keys/${key.id}`, { key: org.key, body: { credits: { remaining: 1000 } } })).status).toBe(200)
    await scanBoth(Date.now())
    expect(await low()).toHaveLength(1)
  })

  it('publishes the notice events for webhooks (OpenAPI and the event-type list)', async () => {
    const types = (await a.api('GET', '/webhooks/event-types', { key: org.key })).body
    const names = JSON.stringify(types)
    for (const t of ['api_key.expiring', 'api_key.expired', 'api_key.credits_low', 'api_key.leaked']) expect(names).toContain(t)
    const doc = await (await fetch(`${a.url}/api/v1/openapi.json`)).json()
    for (const t of ['api_key.expiring', 'api_key.expired', 'api_key.credits_low', 'api_key.leaked']) expect(Object.keys(doc.webhooks)).toContain(t)
  })
})
