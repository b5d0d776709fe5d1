import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../core/config.js'
import { loadConfigWith, settingVariables } from '../core/settings.js'
import { createPortico, defineModule, defineOperation, z, type Portico } from '../index.js'
import { startTestPortico } from '../testing.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-library-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
let n = 0
const database = () => `file:${path.join(dir, `p${++n}.db`)}`

const hello = defineOperation({
  id: 'hello.get',
  method: 'get',
  path: '/hello',
  summary: 'Say hello',
  scope: 'read',
  output: z.object({ hello: z.string() }),
  handler: async () => ({ hello: 'world' }),
})
const helloModule = defineModule({ name: 'hello', operations: [hello] })

describe('settings in code', () => {
  it('cover every variable the configuration reads', () => {
    const read = new Set<string>()
    loadConfig(new Proxy({}, { get: (_target, name) => void read.add(String(name)) }))
    expect(new Set(Object.values(settingVariables))).toEqual(read)
  })

  it('lie over the environment and are validated as it is, named by setting and variable', () => {
    const config = loadConfigWith({ PORT: '4000', HOST: '0.0.0.0' }, { port: 5000, webhooksAllowPrivate: true, mcpAllowedOrigins: ['https://a.example', 'https://b.example'], rateLimits: [{ name: 'export', limit: 5, windowSeconds: 3600 }] })
    expect(config).toMatchObject({ port: 5000, host: '0.0.0.0', webhooksAllowPrivate: true, mcpAllowedOrigins: ['https://a.example', 'https://b.example'] })
    expect(config.rateLimitClasses).toEqual([{ name: 'export', limit: 5, windowSeconds: 3600 }])
    expect(() => loadConfigWith({}, { port: 70000 })).toThrow('config.port (PORT): expected 0…65535, got 70000')
    expect(() => loadConfigWith({}, { databaseUrl: 'mysql://x' })).toThrow(/^config\.databaseUrl \(DATABASE_URL\): expected file:/)
    expect(() => loadConfigWith({}, { rateLimits: [{ name: 'Bad', limit: 1, windowSeconds: 1 }] })).toThrow(ConfigError)
    expect(() => loadConfigWith({}, { prot: 3000 } as never)).toThrow(/^config\.prot: is not a setting/)
    // A bad variable still names the variable alone.
    expect(() => loadConfigWith({ PORT: 'x' }, {})).toThrow(/^PORT: /)
  })
})

describe('createPortico', () => {
  let portico: Portico | undefined
  afterEach(async () => {
    await portico?.close()
    portico = undefined
  })

  it('mounts inside a Hono app beside the product\'s routes, with operator actions as functions', async () => {
    portico = await createPortico({ env: {}, modules: [helloModule], config: { databaseUrl: database(), logLevel: 'silent' } })
    const { key, organization } = await portico.createOrganization({ name: '  Acme  ' })
    expect(organization.name).toBe('Acme')
    const p = portico
    const app = new Hono()
    app.get('/app', (c) => c.text('product'))
    app.all('*', (c) => p.fetch(c.req.raw, c.env))
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise((resolve) => server.once('listening', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      expect(await (await fetch(`${url}/app`)).text()).toBe('product')
      const res = await fetch(`${url}/api/v1/hello`, { headers: { authorization: `Bearer ${key}` } })
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ hello: 'world' })
      expect((await fetch(`${url}/api/v1/hello`)).status).toBe(401)
      expect((await fetch(`${url}/reference`)).status).toBe(200)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
    const { key: rsk } = await portico.createReseller({ name: 'Partner' })
    expect(rsk).toMatch(/^rsk_/)
    await expect(portico.createOrganization({ name: ' ' })).rejects.toThrow('createOrganization: name must be 1 to 200 characters')
  })

  it('serves a node:http server through nodeListener, and listen() on its own port', async () => {
    portico = await createPortico({ env: { DATABASE_URL: database(), LOG_LEVEL: 'silent' } })
    const { key } = await portico.createOrganization({ name: 'Acme' })
    const p = portico
    const server = http.createServer((req, res) => {
      if (req.url === '/app') return void res.end('product')
      void p.nodeListener(req, res)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      expect(await (await fetch(`${url}/app`)).text()).toBe('product')
      expect((await fetch(`${url}/api/v1/health`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
    const own = await portico.listen(0, '127.0.0.1')
    expect((await fetch(`${own.url}/healthz`)).status).toBe(200)
    // close() is graceful and happens once, however often it is called.
    await Promise.all([portico.close(), portico.close()])
    await expect(fetch(`${own.url}/healthz`)).rejects.toThrow()
  })

  it('refuses a bad setting with the ConfigError naming it, before touching the database', async () => {
    await expect(createPortico({ env: {}, config: { keyPrefix: 'BAD PREFIX' } })).rejects.toThrow(/^config\.keyPrefix \(PORTICO_KEY_PREFIX\): /)
  })
})

describe('startTestPortico', () => {
  it('runs on a temporary SQLite file whatever the environment says, and removes it on close', async () => {
    const saved = process.env.DATABASE_URL
    process.env.DATABASE_URL = 'postgres://nobody@127.0.0.1:1/none'
    const test = await startTestPortico({ modules: [helloModule] }).finally(() => {
      if (saved === undefined) delete process.env.DATABASE_URL
      else process.env.DATABASE_URL = saved
    })
    const target = test.portico.config.database
    expect(target.kind).toBe('sqlite')
    const file = target.kind === 'sqlite' ? target.file : ''
    try {
      expect(fs.existsSync(file)).toBe(true)
      expect(await test.api('GET', '/hello')).toMatchObject({ status: 200, body: { hello: 'world' } })
      expect((await test.api('GET', '/hello', { key: null })).body.error.code).toBe('missing_api_key')
      const readOnly = await test.api('POST', '/keys', { body: { name: 'ro', scopes: ['read'] } })
      expect(readOnly.status).toBe(201)
      expect((await test.fetch('/api/v1/keys', { key: readOnly.body.key })).status).toBe(403)
      const other = await test.createOrganization('Globex')
      expect((await test.api('GET', `/keys/${readOnly.body.id}`, { key: other.key })).status).toBe(404)
    } finally {
      await test.close()
    }
    expect(fs.existsSync(path.dirname(file))).toBe(false)
  })
})
