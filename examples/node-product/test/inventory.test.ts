import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestPortico, type TestPortico } from 'portico/testing'
import { createApp } from '../src/app.js'
import { inventory } from '../src/inventory.js'

describe('inventory API', () => {
  let portico: TestPortico
  before(async () => {
    portico = await startTestPortico({ modules: [inventory] })
  })
  after(() => portico.close())

  it('adds an item and lists it', async () => {
    const created = await portico.api('POST', '/items', { body: { sku: 'WIDGET-42', name: 'Blue widget', quantity: 7 } })
    assert.equal(created.status, 201)
    assert.equal(created.body.object, 'item')
    const listed = await portico.api('GET', '/items')
    assert.equal(listed.status, 200)
    assert.deepEqual(
      listed.body.data.map((i: { sku: string }) => i.sku),
      ['WIDGET-42'],
    )
  })

  it('refuses a second item with the same SKU, and bad input, in the envelope', async () => {
    await portico.api('POST', '/items', { body: { sku: 'DUP-1', name: 'First', quantity: 1 } })
    const again = await portico.api('POST', '/items', { body: { sku: 'DUP-1', name: 'Second', quantity: 1 } })
    assert.equal(again.status, 409)
    assert.equal(again.body.error.code, 'conflict')
    const bad = await portico.api('POST', '/items', { body: { sku: '', name: 'x', quantity: -1 } })
    assert.equal(bad.status, 400)
    assert.equal(bad.body.error.code, 'validation_error')
  })

  it('needs a key with the right scope, and keeps organisations apart', async () => {
    assert.equal((await portico.api('GET', '/items', { key: null })).status, 401)
    const readOnly = await portico.api('POST', '/keys', { body: { name: 'Reporting', scopes: ['read'] } })
    assert.equal((await portico.api('GET', '/items', { key: readOnly.body.key })).status, 200)
    const refused = await portico.api('POST', '/items', { key: readOnly.body.key, body: { sku: 'RO-1', name: 'x', quantity: 1 } })
    assert.equal(refused.status, 403)
    assert.equal(refused.body.error.code, 'insufficient_scope')
    const other = await portico.createOrganization('Globex')
    const theirs = await portico.api('GET', '/items', { key: other.key })
    assert.equal(theirs.status, 200)
    assert.deepEqual(theirs.body.data, [])
  })

  it('is served beside the product\'s own routes by its app', async () => {
    const app = createApp(portico.portico)
    assert.equal((await app.request('/app/status')).status, 200)
    const res = await app.request('/api/v1/items', { headers: { authorization: `Bearer ${portico.key}` } })
    assert.equal(res.status, 200)
    const catalog = (await (await app.request('/api/v1/catalog', { headers: { authorization: `Bearer ${portico.key}` } })).json()) as { data: { id: string }[] }
    assert.ok(catalog.data.some((op) => op.id === 'items.create'))
  })
})
