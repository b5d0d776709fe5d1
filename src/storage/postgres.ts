import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { CoreTables, DatabaseHandle, Notifications } from './db.js'

export interface PostgresOptions {
  /** Schema to work in (tests use one per run); created if missing. */
  schema?: string
  maxConnections?: number
}

export function createPostgresDatabase(url: string, options: PostgresOptions = {}): DatabaseHandle {
  const schema = options.schema
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`)
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  })
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const db = new Kysely<CoreTables>({ dialect: new PostgresDialect({ pool }) })
  const notifications = new PostgresNotifications(db, () => new pg.Client({ connectionString: url, ...(schema ? { options: `-c search_path=${schema}` } : {}) }))
  return {
    db,
    dialect: 'postgres',
    notifications,
    close: async () => {
      await notifications.close()
      await db.destroy()
    },
  }
}

/**
 * LISTEN/NOTIFY on a channel named after the schema too (`name:schema`), so deployments that share
 * a database in separate schemas do not hear each other. One dedicated connection listens; it is
 * re-opened a second after it drops, and `onReset` tells the listener it may have missed messages.
 */
class PostgresNotifications implements Notifications {
  #client: pg.Client | undefined
  /** The listening connection's schema, which names its channels. */
  #schema = ''
  #closed = false
  readonly #listeners = new Map<string, { onMessage: (payload: string) => void; onReset: () => void }>()
  #retry: NodeJS.Timeout | undefined

  constructor(
    private readonly db: Kysely<CoreTables>,
    private readonly connect: () => pg.Client,
  ) {}

  async notify(channel: string, payload: string): Promise<void> {
    await sql`select pg_notify(${channel} || ':' || current_schema(), ${payload})`.execute(this.db)
  }

  async listen(channel: string, onMessage: (payload: string) => void, onReset: () => void): Promise<void> {
    this.#listeners.set(channel, { onMessage, onReset })
    if (!this.#client) await this.#open()
    else await this.#listenOn(this.#client, channel)
  }

  async #open(): Promise<void> {
    const client = this.connect()
    this.#client = client
    const lost = () => {
      if (this.#client !== client) return
      this.#client = undefined
      void discard(client)
      if (!this.#closed) this.#retry = setTimeout(() => void this.#open().catch(() => {}), 1000).unref()
    }
    client.on('error', lost)
    client.on('end', lost)
    client.on('notification', (message) => {
      const channel = message.channel.slice(0, message.channel.lastIndexOf(':'))
      if (message.payload !== undefined) this.#listeners.get(channel)?.onMessage(message.payload)
    })
    try {
      await client.connect()
      this.#schema = (await client.query<{ schema: string }>('select current_schema() as schema')).rows[0]!.schema
      for (const channel of this.#listeners.keys()) await this.#listenOn(client, channel)
    } catch (err) {
      lost()
      throw err
    }
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

/** Ends a connection whose events no longer matter, errors included. */
async function discard(client: pg.Client): Promise<void> {
  client.removeAllListeners()
  client.on('error', () => {})
  await client.end().catch(() => {})
}

export async function ensureSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
  } finally {
    await client.end()
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}
