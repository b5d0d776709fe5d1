import { Kysely, PostgresDialect, sql, type PostgresPool, type PostgresPoolClient } from 'kysely'
import pg from 'pg'
import { asUnavailable, isConnectionError } from './connection-errors.js'
import type { AnyExecutor, AvailabilityListener, CoreTables, DatabaseHandle, Notifications } from './db.js'

export interface PostgresOptions {
  /** Schema to work in (tests use one per run); created if missing. */
  schema?: string
  maxConnections?: number
  /** How long a request waits for a connection before it answers 503 (ms). */
  connectTimeoutMs?: number
}

/** A connection a server restart, a failover or `pg_terminate_backend` ends must never crash the process. */
const ignoreClientError = () => {}

export function createPostgresDatabase(url: string, options: PostgresOptions = {}): DatabaseHandle {
  const schema = options.schema
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`)
  const connection = {
    connectionString: url,
    // Names Portico's sessions in pg_stat_activity unless the URL or PGAPPNAME names them.
    fallback_application_name: 'portico',
    keepAlive: true,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  }
  const pool = new pg.Pool({ ...connection, max: options.maxConnections ?? 10, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000 })
  // The pool listens for errors only on idle clients; a checked-out client whose backend is
  // terminated emits 'error' too, which would be unhandled. Its next query fails instead, and the
  // pool drops it on release.
  pool.on('connect', (client) => client.on('error', ignoreClientError))
  // An idle client that errors is removed by the pool, which then reports it here.
  pool.on('error', ignoreClientError)
  const availability = new Availability()
  const db = new Kysely<CoreTables>({ dialect: new PostgresDialect({ pool: answeringUnavailable(pool, availability) }) })
  const notifications = new PostgresNotifications(db, () => new pg.Client(connection))
  return {
    db,
    dialect: 'postgres',
    notifications,
    watchAvailability: (listener) => availability.listeners.push(listener),
    close: async () => {
      await notifications.close()
      await db.destroy()
    },
  }
}

/** Whether the last attempt to use the database reached it; listeners hear each change once. */
class Availability {
  readonly listeners: AvailabilityListener[] = []
  #up = true

  reached(): void {
    if (this.#up) return
    this.#up = true
    for (const l of this.listeners) l(true)
  }

  failed(error: unknown): void {
    if (!this.#up) return
    this.#up = false
    for (const l of this.listeners) l(false, error)
  }
}

/**
 * The pool as Kysely sees it: a connection error, whether getting a connection or running a
 * query on one, rejects with 503 service_unavailable (connection-errors.ts), so every doorway
 * answers the envelope with Retry-After instead of a 500.
 */
function answeringUnavailable(pool: pg.Pool, availability: Availability): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>()
  const fail = (error: unknown): never => {
    if (isConnectionError(error)) availability.failed(error)
    throw asUnavailable(error)
  }
  return {
    async connect() {
      const client = await pool.connect().catch(fail)
      let view = wrapped.get(client)
      if (!view) {
        view = {
          query: ((text: string, values: unknown[]) =>
            client.query(text, values).then((result) => {
              availability.reached()
              return result
            }, fail)) as unknown as PostgresPoolClient['query'],
          // pg-pool sets a new `release` on each checkout: call the current one.
          release: () => client.release(),
        }
        wrapped.set(client, view)
      }
      return view
    },
    end: () => pool.end(),
  }
}

/** Reconnection delays of the listening connection: quick at first, then every two seconds. */
const LISTEN_BACKOFF_MS = [100, 250, 500, 1000, 2000]

/**
 * LISTEN/NOTIFY on a channel named after the schema too (`name:schema`), so deployments that share
 * a database in separate schemas do not hear each other. One dedicated connection listens; when it
 * drops it is re-opened with back-off, `onLost` says messages may now be missed, and `onReset`
 * that it listens again (messages sent meanwhile are lost).
 */
class PostgresNotifications implements Notifications {
  #client: pg.Client | undefined
  /** The listening connection's schema, which names its channels. */
  #schema = ''
  #closed = false
  #failures = 0
  readonly #listeners = new Map<string, { onMessage: (payload: string) => void; onReset: () => void; onLost: () => void }>()
  #retry: NodeJS.Timeout | undefined

  constructor(
    private readonly db: Kysely<CoreTables>,
    private readonly connect: () => pg.Client,
  ) {}

  /** Sent at commit when `via` is a transaction, so no listener hears of a change before it is visible. */
  async notify(channel: string, payload: string, via: AnyExecutor = this.db): Promise<void> {
    await sql`select pg_notify(${channel} || ':' || current_schema(), ${payload})`.execute(via)
  }

  async listen(channel: string, onMessage: (payload: string) => void, onReset: () => void, onLost: () => void = () => {}): Promise<void> {
    this.#listeners.set(channel, { onMessage, onReset, onLost })
    if (!this.#client) await this.#open()
    else if (this.#schema) await this.#listenOn(this.#client, channel)
  }

  async #open(): Promise<void> {
    const client = this.connect()
    this.#client = client
    this.#schema = ''
    const lost = () => {
      if (this.#client !== client) return
      this.#client = undefined
      this.#schema = ''
      void discard(client)
      for (const { onLost } of this.#listeners.values()) onLost()
      if (this.#closed) return
      const delay = LISTEN_BACKOFF_MS[Math.min(this.#failures++, LISTEN_BACKOFF_MS.length - 1)]
      this.#retry = setTimeout(() => void this.#open().catch(() => {}), delay).unref()
    }
    client.on('error', lost)
    client.on('end', lost)
    client.on('notification', (message) => {
      const channel = message.channel.slice(0, message.channel.lastIndexOf(':'))
      if (message.payload !== undefined) this.#listeners.get(channel)?.onMessage(message.payload)
    })
    try {
      await client.connect()
      const schema = (await client.query<{ schema: string }>('select current_schema() as schema')).rows[0]!.schema
      for (const channel of this.#listeners.keys()) await client.query(`LISTEN ${client.escapeIdentifier(`${channel}:${schema}`)}`)
      this.#schema = schema
    } catch (err) {
      lost()
      throw err
    }
    this.#failures = 0
    for (const { onReset } of this.#listeners.values()) onReset()
  }

  async #listenOn(client: pg.Client, channel: string): Promise<void> {
    await client.query(`LISTEN ${client.escapeIdentifier(`${channel}:${this.#schema}`)}`)
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#retry)
    const client = this.#client
    this.#client = undefined
    if (client) await discard(client)
  }
}

/** Ends a connection whose events no longer matter, errors included; one that does not answer is cut. */
async function discard(client: pg.Client): Promise<void> {
  client.removeAllListeners()
  client.on('error', ignoreClientError)
  const cut = setTimeout(() => (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy(), 1000)
  await client.end().catch(() => {})
  clearTimeout(cut)
}

/** A one-off connection for an administrative statement, its errors handled like the pool's. */
async function once(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, fallback_application_name: 'portico' })
  client.on('error', ignoreClientError)
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

export const ensureSchema = (url: string, schema: string): Promise<void> => once(url, `CREATE SCHEMA IF NOT EXISTS "${schema}"`)

export const dropSchema = (url: string, schema: string): Promise<void> => once(url, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
