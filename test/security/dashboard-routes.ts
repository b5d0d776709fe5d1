/**
 * The dashboard's routes as the server mounted them (read from the app, not listed by hand), with
 * what the matrices need to call each: the resources its path parameters name and a form it
 * accepts. A new route with a parameter or a new form fails `missingDashboardFixtures` until it
 * has its line here, so it joins the foreign-id and suspension matrices the day it is added.
 */
import { randomBytes } from 'node:crypto'
import type { TestServer } from '../harness.js'
import type { Visitor } from '../visitor.js'
import type { Tenant, World } from './world.js'

export interface DashboardRoute {
  method: 'GET' | 'POST'
  path: string
}

/** Routes that are not the signed-in dashboard: the API, MCP, probes, docs, assets, signing in and out, account recovery, module pages. */
const elsewhere = [/^\/api\//, /^\/mcp$/, /^\/(healthz|readyz|metrics|openapi\.json|reference)$/, /^\/dashboard-assets\//, /^\/favicon\.ico$/, /^\/\*$/, /^\/$/, /^\/login$/, /^\/logout$/, /^\/setup\//, /^\/forgot$/, /^\/reset\//]

/** Session-only forms: they change who is signed in or where, not the organisation's data. */
const sessionForms = ['POST /org']

/**
 * The signed-in person's own forms (answering invitations addressed to them), whichever
 * organisation they are in: in the foreign-id matrix, not in the role or suspension ones.
 */
const accountRoutes = [/^\/invitations\//]

/** Forms that only read (a POST so that what they show never sits in a URL): they may record in the audit log that they were used. */
export const readingForms = ['POST /webhooks/:id/reveal']

/** The routes that act for the organisation the session is in. */
export const organisationRoutes = (routes: DashboardRoute[]) => routes.filter((r) => !accountRoutes.some((re) => re.test(r.path)))

export function dashboardRoutes(server: TestServer, modulePages: string[]): DashboardRoute[] {
  const seen = new Set<string>()
  const out: DashboardRoute[] = []
  for (const r of server.portico.app.routes) {
    if (r.method !== 'GET' && r.method !== 'POST') continue
    if (elsewhere.some((re) => re.test(r.path)) || modulePages.includes(r.path)) continue
    const id = `${r.method} ${r.path}`
    if (seen.has(id) || sessionForms.includes(id)) continue
    seen.add(id)
    out.push({ method: r.method, path: r.path })
  }
  return out
}

/** `:name` path parameters of a route. */
export const routeParams = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!)

/** Resources of a tenant that the dashboard's path parameters name, by the route's first segment. */
const resourceFamilies: Record<string, (world: World, tenant: Tenant) => Promise<Record<string, string>>> = {
  keys: async (world, tenant) => {
    const res = await world.server.api('POST', '/keys', { key: tenant.key, body: { name: `Key ${tenant.marker}`, scopes: ['read'] } })
    return { id: res.body.id }
  },
  webhooks: async (world, tenant) => {
    const hook = await world.server.api('POST', '/webhooks', { key: tenant.key, body: { url: 'http://127.0.0.1:9/hook', events: ['*'], description: `Hook ${tenant.marker}` } })
    const delivery = await world.server.api('POST', `/webhooks/${hook.body.id}/test`, { key: tenant.key })
    return { id: hook.body.id, did: delivery.body.id }
  },
  members: async (world, tenant) => {
    const res = await world.server.api('POST', `/reseller/organizations/${tenant.orgId}/users`, {
      key: tenant.reseller.key,
      body: { email: `member-${Math.random().toString(36).slice(2)}@${tenant.marker}.example`, name: `Member ${tenant.marker}`, role: 'member' },
    })
    const invitation = await pendingInvitation(world, tenant)
    const values: Record<string, string> = { userId: res.body.user_id }
    if (invitation) values.id = invitation
    return values
  },
  invitations: async (world, tenant) => {
    const invitation = await pendingInvitation(world, tenant)
    return invitation ? { id: invitation } : ({} as Record<string, string>)
  },
}

const owners = new Map<string, Promise<Visitor>>()

/**
 * An invitation of the tenant's organisation, still open, for someone with an account elsewhere
 * (a user the tenant's reseller provisioned in another of its organisations), read from the
 * organisation's members page as its Owner sees it. Undefined where invitations do not exist.
 */
async function pendingInvitation(world: World, tenant: Tenant): Promise<string | undefined> {
  const elsewhere = await world.server.api('POST', '/reseller/organizations', { key: tenant.reseller.key, body: { name: `Elsewhere ${tenant.marker}` } })
  const email = `invitee-${Math.random().toString(36).slice(2)}@${tenant.marker}.example`
  await world.server.api('POST', `/reseller/organizations/${elsewhere.body.id}/users`, { key: tenant.reseller.key, body: { email, name: `Invitee ${tenant.marker}` } })
  const invited = await world.server.api('POST', `/reseller/organizations/${tenant.orgId}/users`, { key: tenant.reseller.key, body: { email, name: `Invitee ${tenant.marker}` } })
  if (invited.body.status !== 'pending') return undefined
  if (!owners.has(tenant.orgId)) owners.set(tenant.orgId, world.member(tenant, 'owner'))
  const owner = await owners.get(tenant.orgId)!
  const page = await owner.get('/members')
  const ids = [...page.text.matchAll(/\/members\/invitations\/([0-9a-f-]{36})\/cancel/g)].map((m) => m[1]!)
  return ids.at(-1)
}

/** A form each POST route accepts; the `_csrf` and `_once` of the page are added by the visitor. */
const forms: Record<string, (tenant: Tenant) => Record<string, string | string[]>> = {
  'POST /keys': (t) => ({ name: `Dashboard key ${t.marker}`, scopes: ['read'], expires_in: 'never' }),
  'POST /keys/import': (t) => ({ keys: `${randomBytes(32).toString('hex')} imp_${randomBytes(4).toString('hex')} Imported ${t.marker}`, scopes: ['read'] }),
  'POST /ai': (t) => ({ name: `Assistant ${t.marker}`, scopes: ['read'], expires_in: 'never' }),
  'POST /keys/:id': (t) => ({ name: `Edited ${t.marker}`, meta: '{"plan":"pro"}', credits_remaining: '10', refill_interval: 'none', allowed_ips: '' }),
  'POST /keys/:id/roll': () => ({ grace_period_seconds: '0' }),
  'POST /keys/:id/revoke': () => ({ confirmed: '1' }),
  'POST /members': (t) => ({ email: `invitee-${Math.random().toString(36).slice(2)}@${t.marker}.example`, name: `Invitee ${t.marker}`, role: 'member' }),
  'POST /members/:userId/role': () => ({ role: 'admin' }),
  'POST /members/:userId/link': () => ({}),
  'POST /members/:userId/remove': () => ({ confirmed: '1' }),
  'POST /webhooks': (t) => ({ url: 'http://127.0.0.1:9/dashboard-hook', events_mode: 'all', description: `Dashboard hook ${t.marker}` }),
  'POST /webhooks/:id/edit': (t) => ({ url: 'http://127.0.0.1:9/edited-hook', events_mode: 'all', description: `Edited hook ${t.marker}` }),
  'POST /webhooks/:id/reveal': () => ({}),
  'POST /webhooks/:id/rotate': () => ({ confirmed: '1' }),
  'POST /webhooks/:id/test': () => ({}),
  'POST /webhooks/:id/enable': () => ({}),
  'POST /webhooks/:id/disable': () => ({}),
  'POST /webhooks/:id/delete': () => ({ confirmed: '1' }),
  'POST /webhooks/:id/deliveries/:did/retry': () => ({}),
  'POST /members/invitations/:id/cancel': () => ({}),
  'POST /invitations/:id/accept': () => ({}),
  'POST /invitations/:id/decline': () => ({}),
}

export function missingDashboardFixtures(routes: DashboardRoute[]): string[] {
  return routes.flatMap((r) => {
    const id = `${r.method} ${r.path}`
    const missing: string[] = []
    if (r.method === 'POST' && !forms[id]) missing.push(`${id}: no form`)
    if (routeParams(r.path).length && !resourceFamilies[r.path.split('/')[1]!]) missing.push(`${id}: no resource family`)
    return missing
  })
}

/** The concrete path and form of a route, naming fresh resources of `owner`. */
export async function dashboardRequest(world: World, route: DashboardRoute, owner: Tenant, formFor: Tenant = owner) {
  let path = route.path
  if (routeParams(path).length) {
    const values = await resourceFamilies[path.split('/')[1]!]!(world, owner)
    path = path.replace(/:(\w+)/g, (_, name: string) => {
      if (!values[name]) throw new Error(`dashboard fixture for ${route.path} gives no :${name}`)
      return encodeURIComponent(values[name]!)
    })
  }
  return { path, form: route.method === 'POST' ? forms[`${route.method} ${route.path}`]!(formFor) : undefined }
}

/** Sends a route as the signed-in visitor would: a POST carries the tokens of a page it was given. */
export async function visit(visitor: Visitor, route: DashboardRoute, request: { path: string; form?: Record<string, string | string[]> | undefined }) {
  if (route.method === 'GET') return visitor.get(request.path)
  // The forms of the page their section lists on carry the session's CSRF token and a fresh `_once`.
  await visitor.get(`/${route.path.split('/')[1]}`)
  return visitor.post(request.path, request.form ?? {})
}
