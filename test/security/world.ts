/**
 * A server for the security suites and the tenants in it: organisations provisioned by their own
 * resellers, each with an all-scope key, and for every operation a request it accepts (its path
 * parameters naming resources of that tenant, its body valid). The requests are found by family
 * (the first path segments): a new operation in a known family is covered the day it is declared,
 * and one in a new family fails `missingFixtures` until a fixture below says how to make its
 * resources.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createReseller, createServiceKey } from '../../src/cli.js'
import type { Operation } from '../../src/core/operation.js'
import { shippedModules } from '../../examples/main.js'
import { startServer, type Engine, type StartOptions, type TestServer } from '../harness.js'
import { startKb, type KbUpstream } from '../gateway/kb-upstream.js'
import { makePdf } from '../pdf-fixture.js'
import { Visitor } from '../visitor.js'
import { minimalValue, readPublishedApi, type PublishedApi } from './published-schema.js'

export const allScopes = ['read', 'draft', 'actions', 'admin'] as const

/** Every non-empty set of scopes (a key holds at least one). */
export const scopeSets: string[][] = Array.from({ length: 2 ** allScopes.length - 1 }, (_, i) => allScopes.filter((_, bit) => (i + 1) & (1 << bit)))

export interface Tenant {
  /** Unique text in every name this tenant's resources carry, so an answer that leaks them is seen. */
  marker: string
  orgId: string
  /** An organisation key with every scope. */
  key: string
  /** The reseller that provisioned the organisation, with a key holding every scope. */
  reseller: { id: string; key: string }
}

export interface Call {
  params: Record<string, string>
  query: Record<string, string>
  body?: unknown
}

/** Path parameters naming fresh resources of one family, made with the tenant's keys. */
type Family = (world: World, tenant: Tenant) => Promise<Record<string, string>>

/** Extra preparation or a body an operation needs beyond its family's resources. */
interface OperationFixture {
  prepare?: (world: World, tenant: Tenant, params: Record<string, string>) => Promise<void>
  body?: (world: World, tenant: Tenant, params: Record<string, string>, op: Operation) => unknown
}

const unique = () => randomBytes(4).toString('hex')

async function expectOk(res: { status: number; text: string }, what: string) {
  if (res.status >= 300) throw new Error(`fixture: ${what} answered ${res.status} ${res.text.slice(0, 300)}`)
}

/** A DRAFT document with one signer who has a SIGNATURE field: ready to send. */
async function draftDocument(world: World, tenant: Tenant) {
  const created = await world.server.api('POST', '/documents', {
    key: tenant.key,
    body: { title: `Contract ${tenant.marker}`, file_base64: world.pdfBase64, recipients: [{ name: `Signer ${tenant.marker}`, email: `signer-${unique()}@${tenant.marker}.example` }] },
  })
  await expectOk(created, 'POST /documents')
  const rid = created.body.recipients[0].id as string
  const field = await world.server.api('POST', `/documents/${created.body.id}/fields`, {
    key: tenant.key,
    body: { type: 'SIGNATURE', page: 1, x: 72, y: 100, width: 200, height: 40, recipientId: rid },
  })
  await expectOk(field, 'POST /documents/{id}/fields')
  return { id: created.body.id as string, rid }
}

const families: Record<string, Family> = {
  keys: async (world, tenant) => {
    const res = await world.server.api('POST', '/keys', { key: tenant.key, body: { name: `Key ${tenant.marker}`, scopes: ['admin'] } })
    await expectOk(res, 'POST /keys')
    return { id: res.body.id }
  },
  webhooks: async (world, tenant) => {
    const hook = await world.server.api('POST', '/webhooks', { key: tenant.key, body: { url: 'http://127.0.0.1:9/hook', events: ['*'], description: `Hook ${tenant.marker}` } })
    await expectOk(hook, 'POST /webhooks')
    const delivery = await world.server.api('POST', `/webhooks/${hook.body.id}/test`, { key: tenant.key })
    await expectOk(delivery, 'POST /webhooks/{id}/test')
    return { id: hook.body.id, delivery_id: delivery.body.id }
  },
  documents: draftDocument,
  templates: async (world, tenant) => {
    const doc = await draftDocument(world, tenant)
    const res = await world.server.api('POST', '/templates', { key: tenant.key, body: { title: `Template ${tenant.marker}`, document_id: doc.id } })
    await expectOk(res, 'POST /templates')
    return { id: res.body.id }
  },
  'reseller/organizations': async (world, tenant) => {
    const org = await world.server.api('POST', '/reseller/organizations', { key: tenant.reseller.key, body: { name: `Customer ${tenant.marker} ${unique()}` } })
    await expectOk(org, 'POST /reseller/organizations')
    const key = await world.server.api('POST', `/reseller/organizations/${org.body.id}/keys`, { key: tenant.reseller.key, body: { name: `Key ${tenant.marker}`, scopes: ['admin'] } })
    await expectOk(key, 'POST /reseller/organizations/{id}/keys')
    return { id: org.body.id, key_id: key.body.id }
  },
  // The gateway's knowledge base (examples/kb): a document of the tenant's, kept by the service per organisation.
  kb: async (world, tenant) => {
    const res = await world.server.api('POST', '/kb/documents', { key: tenant.key, body: { title: `Doc ${tenant.marker}`, text: `About ${tenant.marker}.` } })
    await expectOk(res, 'POST /kb/documents')
    return { document_id: res.body.id }
  },
  'reseller/keys': async (world, tenant) => {
    const res = await world.server.api('POST', '/reseller/keys', { key: tenant.reseller.key, body: { name: `Reseller key ${tenant.marker}`, scopes: ['admin'] } })
    await expectOk(res, 'POST /reseller/keys')
    return { id: res.body.id }
  },
}

const email = (tenant: Tenant) => `person-${unique()}@${tenant.marker}.example`

/** Only what a family and the schema cannot say; every other operation gets its schema's smallest valid body. */
const operationFixtures: Record<string, OperationFixture> = {
  // A minted key holds the scope its operation needs, which any caller allowed to mint it holds too.
  'keys.create': { body: (_w, t, _p, op) => ({ name: `Key ${t.marker}`, scopes: [op.scope] }) },
  'reseller.keys.create': { body: (_w, t, _p, op) => ({ name: `Reseller key ${t.marker}`, scopes: [op.scope] }) },
  'reseller.org_keys.create': { body: (_w, t, _p, op) => ({ name: `Key ${t.marker}`, scopes: [op.scope] }) },
  // Every import names a key no one has imported yet.
  'keys.import': { body: (_w, t, _p, op) => ({ hash: randomBytes(32).toString('hex'), prefix: `imp_${randomBytes(4).toString('hex')}`, name: `Imported ${t.marker}`, scopes: [op.scope] }) },
  'reseller.org_keys.import': { body: (_w, t, _p, op) => ({ hash: randomBytes(32).toString('hex'), prefix: `imp_${randomBytes(4).toString('hex')}`, name: `Imported ${t.marker}`, scopes: [op.scope] }) },
  'documents.create': { body: (w, t) => ({ title: `Upload ${t.marker}`, file_base64: w.pdfBase64, recipients: [{ name: `Signer ${t.marker}`, email: email(t) }] }) },
  'recipients.create': { body: (_w, t) => ({ name: `Viewer ${t.marker}`, email: email(t), role: 'VIEWER' }) },
  'fields.create': { body: (_w, _t, p) => ({ type: 'TEXT', page: 1, x: 72, y: 300, width: 120, height: 20, recipientId: p.rid }) },
  'recipients.embed_token': {
    prepare: async (w, t, p) => expectOk(await w.server.api('POST', `/documents/${p.id}/send`, { key: t.key }), 'POST /documents/{id}/send'),
  },
  'templates.create': { body: async (w, t) => ({ title: `Template ${t.marker}`, document_id: (await draftDocument(w, t)).id }) },
  'webhooks.create': { body: (_w, t) => ({ url: 'http://127.0.0.1:9/hook', events: ['*'], description: `Hook ${t.marker}` }) },
  'reseller.users.create': { body: (_w, t) => ({ email: email(t), name: `Person ${t.marker}`, role: 'member' }) },
  'kb.index_document': { body: (_w, t) => ({ title: `Doc ${t.marker}`, text: `About ${t.marker}.` }) },
  'kb.query': { body: (_w, t) => ({ question: `What about ${t.marker}?` }) },
  // An event the product declares, for the tenant's organisation, with the smallest payload its published schema accepts.
  'platform.post_event': {
    body: (w, t) => {
      const payload = w.api.doc.webhooks['document.created'].post.requestBody.content['application/json'].schema
      return { org_id: t.orgId, type: 'document.created', data: (minimalValue(w.api.doc, payload) as { data: unknown }).data }
    },
  },
}

const KB_SECRET = randomBytes(32).toString('hex')

/**
 * The gateway in the world: the example knowledge base (Python) started as its own process, and
 * the example's upstreams file pointed at it, so its operations join every matrix as REST and MCP
 * operations of the registry.
 */
async function gatewayEnv(): Promise<{ kb: KbUpstream; env: Record<string, string> }> {
  const kb = await startKb(KB_SECRET, { KB_DEBUG: '0' })
  const root = path.resolve(import.meta.dirname, '../..')
  const example = JSON.parse(fs.readFileSync(path.join(root, 'examples/kb/portico.upstreams.json'), 'utf8'))
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'portico-world-')), 'upstreams.json')
  fs.writeFileSync(file, JSON.stringify({ upstreams: [{ ...example.upstreams[0], url: kb.url, openapi: path.join(root, 'examples/kb/kb-openapi.json') }] }))
  return { kb, env: { PORTICO_UPSTREAMS: file, PORTICO_KB_SECRET: KB_SECRET } }
}

export type KeyKind = 'org' | 'reseller' | 'service'

export function familyOf(path: string): string {
  const parts = path.split('/').filter(Boolean)
  return parts[0] === 'reseller' ? parts.slice(0, 2).join('/') : parts[0]!
}

export interface World {
  engine: Engine
  server: TestServer
  api: PublishedApi
  /** The registry's operations, as the server mounted them. */
  operations: Operation[]
  /** A service key of the deployment with every scope. */
  service: { id: string; key: string }
  /** A key holding every scope of the kind the operation is for: the tenant's, its reseller's, or the deployment's service key. */
  keyFor(op: Operation, tenant: Tenant): string
  /** A new key of the given kind with exactly these scopes. */
  mintKey(kind: KeyKind, tenant: Tenant, scopes: readonly string[], name?: string): Promise<string>
  pdfBase64: string
  tenant(label?: string): Promise<Tenant>
  /** A request this tenant may make of the operation and that it accepts; `fresh: false` reuses resources (reads). */
  validCall(op: Operation, tenant: Tenant, options?: { fresh?: boolean }): Promise<Call>
  /** Drops the resources kept for reads, so the next requests name fresh ones (earlier ones may be deleted by now). */
  forget(): void
  /** Operations whose path parameters no family fixture can fill. */
  missingFixtures(): string[]
  /** A signed-in dashboard user of the tenant's organisation with the given role. */
  member(tenant: Tenant, role?: 'owner' | 'admin' | 'member'): Promise<Visitor>
  close(): Promise<void>
}

export async function startWorld(engine: Engine, options: Omit<StartOptions, 'engine' | 'modules'> = {}): Promise<World> {
  const gateway = await gatewayEnv()
  const server = await startServer({
    ...options,
    engine,
    modules: await shippedModules(),
    env: {
      // The suites make thousands of requests with a handful of keys and from one address.
      PORTICO_RATE_LIMITS: 'general=1000000/60,send=1000000/60',
      PORTICO_AUTH_FAILURES_PER_MINUTE: '1000000',
      // Every fresh resource is a new webhook endpoint; the per-organisation cap has its own tests.
      PORTICO_WEBHOOKS_PER_ORG: '1000',
      ...gateway.env,
      ...options.env,
    },
  })
  const api = readPublishedApi(await (await fetch(`${server.url}/api/v1/openapi.json`)).json())
  const operations = server.portico.registry.all()
  const cached = new Map<string, Record<string, string>>()
  const minted = await createServiceKey(server.db.handle, server.config, 'Security suites')

  const world: World = {
    engine,
    server,
    api,
    operations,
    service: { id: minted.row.id, key: minted.key },
    keyFor: (op, tenant) => (op.audience === 'reseller' ? tenant.reseller.key : op.audience === 'service' ? world.service.key : tenant.key),
    async mintKey(kind, tenant, scopes, name = `scopes ${scopes.join(' ')}`) {
      if (kind === 'service') return (await createServiceKey(server.db.handle, server.config, name, scopes as never)).key
      const res =
        kind === 'org'
          ? await server.api('POST', '/keys', { key: tenant.key, body: { name, scopes } })
          : await server.api('POST', '/reseller/keys', { key: tenant.reseller.key, body: { name, scopes } })
      await expectOk(res, `minting a ${kind} key`)
      return res.body.key as string
    },
    pdfBase64: Buffer.from(await makePdf(1)).toString('base64'),
    async tenant(label = 'tenant') {
      const marker = `${label}${unique()}`
      const { reseller, key: resellerKey } = await createReseller(server.db.handle, server.config, `Reseller ${marker}`)
      const org = await server.api('POST', '/reseller/organizations', { key: resellerKey, body: { name: `Org ${marker}` } })
      await expectOk(org, 'POST /reseller/organizations')
      const key = await server.api('POST', `/reseller/organizations/${org.body.id}/keys`, { key: resellerKey, body: { name: `Admin ${marker}`, scopes: [...allScopes] } })
      await expectOk(key, 'POST /reseller/organizations/{id}/keys')
      return { marker, orgId: org.body.id, key: key.body.key, reseller: { id: reseller.id, key: resellerKey } }
    },
    async validCall(op, tenant, { fresh = op.method !== 'get' } = {}) {
      const fixture = operationFixtures[op.id]
      let params: Record<string, string> = {}
      if (op.params) {
        const family = familyOf(op.path)
        const make = families[family]
        if (!make) throw new Error(`no fixture family "${family}" for ${op.id}: add one to test/security/world.ts`)
        // A prepared resource (a sent document) is kept for the operation that needed it only.
        const cacheKey = `${tenant.orgId}:${family}:${fixture?.prepare ? op.id : ''}`
        if (fresh || !cached.has(cacheKey)) {
          params = await make(world, tenant)
          await fixture?.prepare?.(world, tenant, params)
          if (!fresh) cached.set(cacheKey, params)
        } else params = cached.get(cacheKey)!
      }
      const published = api.operations.find((p) => p.id === op.id)
      const schema = published?.bodies['application/json']
      const body = fixture?.body ? await fixture.body(world, tenant, params, op) : schema ? minimalValue(api.doc, schema) : undefined
      // The family names more resources than this path may take (a recipient for the document's fields).
      const own = Object.fromEntries(Object.entries(params).filter(([name]) => op.path.includes(`{${name}}`)))
      return { params: own, query: {}, body }
    },
    forget() {
      cached.clear()
    },
    missingFixtures() {
      return operations.filter((op) => op.params && !families[familyOf(op.path)]).map((op) => op.id)
    },
    async member(tenant, role = 'owner') {
      const mail = email(tenant)
      const res = await server.api('POST', `/reseller/organizations/${tenant.orgId}/users`, { key: tenant.reseller.key, body: { email: mail, name: `Person ${tenant.marker}`, role } })
      await expectOk(res, 'POST /reseller/organizations/{id}/users')
      const visitor = new Visitor(server.url)
      await visitor.get(res.body.setup_url)
      const done = await visitor.post(res.body.setup_url, { password: 'a long enough password' })
      if (done.status !== 303) throw new Error(`fixture: setting the password answered ${done.status}`)
      return visitor
    },
    async close() {
      await server.close()
      await gateway.kb.stop()
    },
  }
  return world
}

/** `/keys/{id}` with the values filled in, each encoded as one path segment. */
export function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (params[name] === undefined) throw new Error(`no value for {${name}} in ${path}`)
    return encodeURIComponent(params[name]!)
  })
}
