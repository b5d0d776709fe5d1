import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pino } from 'pino'
import { createOrganization } from '../src/cli.js'
import { loadConfig, type PorticoConfig } from '../src/core/config.js'
import type { PorticoModule } from '../src/core/module.js'
import { createPortico, type Portico } from '../src/server.js'
import type { DatabaseHandle } from '../src/storage/db.js'
import { createPostgresDatabase, dropSchema, ensureSchema } from '../src/storage/postgres.js'
import { createSqliteDatabase } from '../src/storage/sqlite.js'

export type Engine = 'sqlite' | 'postgres'

export const postgresUrl = process.env.PORTICO_TEST_POSTGRES_URL
export const redisUrl = process.env.PORTICO_TEST_REDIS_URL

/** SQLite always; PostgreSQL too when PORTICO_TEST_POSTGRES_URL is set (CI sets it and fails if it is unreachable). */
export const engines: Engine[] = postgresUrl ? ['sqlite', 'postgres'] : ['sqlite']

export interface TestDatabase {
  handle: DatabaseHandle
  /** The DATABASE_URL another process (the CLI, a worker) would use for the same data. */
  url: string
  /** Extra env for a child process to land in the same PostgreSQL schema. */
  childEnv: Record<string, string>
  /**
   * Another handle on the same data, as a second instance would hold; on PostgreSQL, reached
   * through `via` (a test's proxy) if given, its sessions named `applicationName`.
   */
  open(options?: { via?: { host: string; port: number }; applicationName?: string }): DatabaseHandle
  drop(): Promise<void>
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-test-'))
    const file = path.join(dir, 'portico.db')
    return {
      handle: createSqliteDatabase(file),
      url: `file:${file}`,
      childEnv: {},
      open: () => createSqliteDatabase(file),
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    }
  }
  if (!postgresUrl) throw new Error('PORTICO_TEST_POSTGRES_URL is not set')
  const schema = `t_${randomBytes(6).toString('hex')}`
  await ensureSchema(postgresUrl, schema)
  const url = new URL(postgresUrl)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return {
    handle: createPostgresDatabase(postgresUrl, { schema, maxConnections: 5 }),
    url: url.toString(),
    childEnv: {},
    open({ via, applicationName } = {}) {
      const target = new URL(postgresUrl)
      if (via) {
        target.hostname = via.host
        target.port = String(via.port)
      }
      if (applicationName) target.searchParams.set('application_name', applicationName)
      return createPostgresDatabase(target.toString(), { schema, maxConnections: 5 })
    },
    drop: () => dropSchema(postgresUrl, schema),
  }
}

export interface ApiResponse<T = any> {
  status: number
  headers: Headers
  body: T
  text: string
}

export interface RequestOptions {
  key?: string | undefined
  body?: unknown
  headers?: Record<string, string>
}

export interface TestServer {
  url: string
  portico: Portico
  config: PorticoConfig
  db: TestDatabase
  /** A new organisation and its first key (all four scopes). */
  createOrg(name?: string): Promise<{ orgId: string; key: string }>
  /** Calls `/api/v1<path>` with the key as `Authorization: Bearer`, JSON in and out. */
  api<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>
  close(): Promise<void>
}

export interface StartOptions {
  engine?: Engine
  modules?: PorticoModule[]
  env?: Record<string, string>
  /** Start background work (dispatchers, batch writers); off by default so tests control time. */
  startBackground?: boolean
  /**
   * Another instance on an existing test database (left in place when this server closes),
   * through its own handle (`db.open()` unless given).
   */
  shared?: { db: TestDatabase; handle?: DatabaseHandle }
  logger?: import('pino').Logger
}

/** A fresh Redis key prefix, so parallel test files never share counters or channels. */
export const redisPrefix = () => `portico-test:${randomBytes(4).toString('hex')}:`

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const engine = options.engine ?? 'sqlite'
  const db = options.shared?.db ?? (await createTestDatabase(engine))
  const handle = options.shared ? (options.shared.handle ?? db.open()) : db.handle
  const config = loadConfig({ PORT: '0', DATABASE_URL: db.url, PORTICO_WEBHOOKS_ALLOW_PRIVATE: '1', PORTICO_CHECK_OUTPUT: '1', ...options.env })
  const portico = await createPortico({
    config,
    database: handle,
    modules: options.modules ?? [],
    logger: options.logger ?? pino({ level: process.env.PORTICO_TEST_LOG ?? 'silent' }),
  })
  if (options.startBackground) await portico.start()
  const { url } = await portico.listen(0, '127.0.0.1')
  const server: TestServer = {
    url,
    portico,
    config: { ...config, publicUrl: url },
    db,
    async createOrg(name = 'Test org') {
      const { org, key } = await createOrganization(db.handle, config, name)
      return { orgId: org.id, key }
    },
    async api(method, apiPath, request = {}) {
      const headers: Record<string, string> = { ...request.headers }
      if (request.key !== undefined) headers.authorization = `Bearer ${request.key}`
      let body: BodyInit | undefined
      if (request.body !== undefined) {
        if (typeof request.body === 'string' || request.body instanceof FormData || request.body instanceof Uint8Array) {
          body = request.body as BodyInit
        } else {
          body = JSON.stringify(request.body)
          headers['content-type'] ??= 'application/json'
        }
      }
      const res = await fetch(`${url}/api/v1${apiPath}`, { method, headers, body })
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = text ? JSON.parse(text) : null
      } catch {
        // not JSON: leave the text
      }
      return { status: res.status, headers: res.headers, body: parsed as any, text }
    },
    async close() {
      // Idle keep-alive connections (fetch keeps them) are closed at once rather than given a last request.
      await portico.close({ idleAfterMs: 0 })
      if (!options.shared) await db.drop()
    },
  }
  return server
}

/** One test database and the instances started on it, as a deployment of several would run. */
export interface Deployment {
  db: TestDatabase
  /** Another instance, with background work started, on its own handle (through `via`, a proxy, if given). */
  instance(options?: { env?: Record<string, string>; via?: { host: string; port: number } }): Promise<TestServer>
  /** Closes the instances, the last started first, then drops the database. */
  close(): Promise<void>
}

export async function deployment(engine: Engine): Promise<Deployment> {
  const db = await createTestDatabase(engine)
  const instances: TestServer[] = []
  return {
    db,
    async instance({ env, via } = {}) {
      const server = await startServer({ shared: { db, handle: db.open(via ? { via } : {}) }, env, startBackground: true })
      instances.push(server)
      return server
    },
    async close() {
      for (const server of instances.reverse()) await server.close()
      await db.handle.close()
      await db.drop()
    },
  }
}
export { startSmtpServer, type ReceivedMail } from './smtp-server.js'
