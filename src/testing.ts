/**
 * `portico/testing`: Portico for a product's own tests, on a temporary SQLite file with one
 * organisation and a key holding every scope. Configuration comes only from the options, never
 * from the environment, so a developer's DATABASE_URL cannot leak into a test.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { PorticoModule } from './core/module.js'
import type { PorticoSettings } from './core/settings.js'
import { createPortico, type Portico } from './library/create-portico.js'

export interface StartTestPorticoOptions {
  modules?: PorticoModule[]
  /** Settings for the test; the database, port and host are the helper's own. */
  config?: Omit<PorticoSettings, 'databaseUrl' | 'port' | 'host'>
  /** Name of the organisation created for the test (`Test organization`). */
  organizationName?: string
}

export interface TestRequest {
  /** JSON-encoded unless a string, FormData, Blob, URLSearchParams or bytes. */
  body?: unknown
  /** The key to send as `Authorization: Bearer`; the test organisation's by default, `null` for none. */
  key?: string | null
  headers?: Record<string, string>
}

export interface TestResponse<T = any> {
  status: number
  headers: Headers
  /** Parsed JSON, or the text when the answer is not JSON. */
  body: T
}

export interface TestPortico {
  /** Where the server listens, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** A key of the test organisation holding every scope. */
  key: string
  organizationId: string
  portico: Portico
  /** `fetch` against the server (`path` from its root), sending the key unless `key: null`. */
  fetch(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>
  /** Calls `/api/v1<path>` with the key, JSON in and out. */
  api<T = any>(method: string, path: string, request?: TestRequest): Promise<TestResponse<T>>
  /** Another organisation and its first key, e.g. to check that one cannot see the other's data. */
  createOrganization(name?: string): Promise<{ organizationId: string; key: string }>
  /** Closes the server and removes the temporary files. */
  close(): Promise<void>
}

function encodeBody(body: unknown, headers: Headers): BodyInit | undefined {
  if (body === undefined) return undefined
  if (typeof body === 'string' || body instanceof FormData || body instanceof Blob || body instanceof URLSearchParams || body instanceof Uint8Array) {
    return body as BodyInit
  }
  if (!headers.has('content-type')) headers.set('content-type', 'application/json')
  return JSON.stringify(body)
}

export async function startTestPortico(options: StartTestPorticoOptions = {}): Promise<TestPortico> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'portico-test-'))
  let portico: Portico
  try {
    portico = await createPortico({
      env: {},
      modules: options.modules ?? [],
      // Tests deliver webhooks to receivers on this machine, and validate every answer against its operation's output schema.
      config: { logLevel: 'silent', webhooksAllowPrivate: true, checkOutput: true, ...options.config, databaseUrl: `file:${path.join(dir, 'portico.db')}`, port: 0, host: '127.0.0.1' },
    })
  } catch (error) {
    await fs.rm(dir, { recursive: true, force: true })
    throw error
  }
  let started
  try {
    const { url } = await portico.listen()
    started = { url, first: await portico.createOrganization({ name: options.organizationName ?? 'Test organization' }) }
  } catch (error) {
    await portico.close()
    await fs.rm(dir, { recursive: true, force: true })
    throw error
  }
  const { url, first } = started

  const fetchFrom: TestPortico['fetch'] = (target, init = {}) => {
    const { key = first.key, ...rest } = init
    const headers = new Headers(rest.headers)
    if (key !== null && !headers.has('authorization')) headers.set('authorization', `Bearer ${key}`)
    return fetch(new URL(target, url), { ...rest, headers })
  }

  return {
    url,
    key: first.key,
    organizationId: first.organization.id,
    portico,
    fetch: fetchFrom,
    async api(method, apiPath, request = {}) {
      const headers = new Headers(request.headers)
      const body = encodeBody(request.body, headers)
      const res = await fetchFrom(`/api/v1${apiPath}`, { method, headers, body, key: request.key === undefined ? first.key : request.key })
      const text = await res.text()
      let parsed: unknown = text
      if (res.headers.get('content-type')?.includes('json') && text) parsed = JSON.parse(text)
      return { status: res.status, headers: res.headers, body: parsed as any }
    },
    async createOrganization(name = 'Another organization') {
      const { organization, key } = await portico.createOrganization({ name })
      return { organizationId: organization.id, key }
    },
    async close() {
      await portico.close()
      await fs.rm(dir, { recursive: true, force: true })
    },
  }
}
