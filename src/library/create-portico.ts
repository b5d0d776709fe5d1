import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Hono } from 'hono'
import type { Logger } from 'pino'
import { createOrganization, createReseller } from '../cli.js'
import type { PorticoConfig } from '../core/config.js'
import type { PorticoModule } from '../core/module.js'
import { loadConfigWith, type PorticoSettings } from '../core/settings.js'
import type { HttpEnv } from '../http/env.js'
import { createLogger, createPortico as createServer } from '../server.js'

export interface CreatePorticoOptions {
  /** The product's modules: their operations, tables, events, rate-limit classes and pages. */
  modules?: PorticoModule[]
  /** Settings in code, laid over the environment and validated as it is. */
  config?: PorticoSettings
  /** Where configuration is read from; `process.env` unless given. */
  env?: Record<string, string | undefined>
  /** A pino logger of the product's own; otherwise Portico logs JSON lines to stdout at LOG_LEVEL. */
  logger?: Logger
}

export interface Portico {
  /**
   * A web-standard handler for everything Portico serves (API, MCP, dashboard, reference,
   * probes). Under @hono/node-server pass its bindings (Hono: `c.env`) so that Portico sees the
   * client's address; without them every client counts as one address for failed-auth limits.
   */
  fetch(request: Request, env?: unknown): Promise<Response>
  /** The same as a node:http request listener (node:http, Express): the API's operations are answered on Node directly. */
  nodeListener(req: IncomingMessage, res: ServerResponse): void | Promise<void>
  /** The Hono app behind `fetch`: its routes, middleware and error handling. */
  readonly app: Hono<HttpEnv>
  readonly config: Readonly<PorticoConfig>
  readonly log: Logger
  /** Serves Portico on its own port (PORT and HOST unless given); resolves once listening. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>
  /** Stops serving, finishes in-flight work, flushes counters and closes the database; once. */
  close(): Promise<void>
  /** On an empty database, a one-time link that creates the first organisation and its Owner. */
  firstRunLink(): Promise<string | undefined>
  /** An organisation and its first key, holding every scope; the key is returned only here. */
  createOrganization(input: { name: string }): Promise<{ organization: { id: string; name: string }; key: string }>
  /** A reseller and its first `rsk_` key, holding every scope; the key is returned only here. */
  createReseller(input: { name: string }): Promise<{ reseller: { id: string; name: string }; key: string }>
}

function checkedName(action: string, name: unknown): string {
  const trimmed = typeof name === 'string' ? name.trim() : ''
  if (trimmed.length < 1 || trimmed.length > 200) throw new TypeError(`${action}: name must be 1 to 200 characters`)
  return trimmed
}

/**
 * Portico started from a product's own code: migrations applied (Portico's and the modules'),
 * background work running (last-use batching, usage, the webhook dispatcher unless
 * PORTICO_IN_PROCESS_WORKER=0), ready to `listen()` or to be mounted through `fetch`.
 */
export async function createPortico(options: CreatePorticoOptions = {}): Promise<Portico> {
  const config = loadConfigWith(options.env ?? process.env, options.config)
  const server = await createServer({ config, modules: options.modules ?? [], logger: options.logger ?? createLogger(config) })
  await server.start()
  const { app, database } = server
  const fetch = async (request: Request, env?: unknown) => app.fetch(request, env as object | undefined)
  let closing: Promise<void> | undefined
  return {
    fetch,
    nodeListener: server.nodeListener as (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
    app,
    config,
    log: server.log,
    listen: (port, host) => server.listen(port, host),
    close: () => (closing ??= server.close()),
    firstRunLink: () => server.firstRunLink(),
    async createOrganization(input) {
      const { org, key } = await createOrganization(database, config, checkedName('createOrganization', input?.name))
      return { organization: { id: org.id, name: org.name }, key }
    },
    async createReseller(input) {
      const { reseller, key } = await createReseller(database, config, checkedName('createReseller', input?.name))
      return { reseller: { id: reseller.id, name: reseller.name }, key }
    },
  }
}
