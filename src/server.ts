import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { Hono } from 'hono'
import { sql } from 'kysely'
import { pino, type Logger } from 'pino'
import { Authenticator } from './auth/authenticate.js'
import { couldBeKey, ImportedPrefixes, syncImportedPrefixes } from './auth/imported-prefixes.js'
import { KeyCache } from './auth/key-cache.js'
import { auditWriter } from './audit/audit-writer.js'
import type { PorticoConfig } from './core/config.js'
import type { Services } from './core/context.js'
import type { PorticoModule } from './core/module.js'
import { OperationRegistry } from './core/operation.js'
import { TransactionalOutbox } from './events/outbox.js'
import { createHttpApp, type RouteMount } from './http/app.js'
import { ownRequestLine, type RequestLineWriter } from './http/middleware/request-log.js'
import { LogBuffer } from './logging/log-buffer.js'
import { AuthGuard } from './auth/auth-guard.js'
import { docsRoutes } from './http/docs-routes.js'
import { HttpDrain } from './http/drain.js'
import { restOnNode } from './http/rest-on-node.js'
import type { HttpEnv } from './http/env.js'
import { probeRoutes, type ReadinessCheck } from './http/probe-routes.js'
import type { RequestObserver } from './runtime/observers.js'
import { IdempotencyStore } from './idempotency/idempotency-store.js'
import { KeyImporter } from './keys/key-import.js'
import { KeyNotices } from './keys/key-notices.js'
import { LeakReports, ScanningKeys } from './keys/leak-reports.js'
import { leakReportRoutes } from './http/leak-report-route.js'
import { LastUsedTracker } from './keys/last-used.js'
import { CreditStore } from './keys/credits/credit-store.js'
import { DatabaseCreditMeter, MemoryCreditMeter, type CreditMeter } from './keys/credits/credit-meter.js'
import { keysModule } from './keys/module.js'
import { Metrics } from './metrics/metrics.js'
import { mcpRoutes } from './mcp/mcp-routes.js'
import { FirstRun } from './dashboard/first-run.js'
import type { Gateway } from './gateway/gateway.js'
import { gatewayModule } from './gateway/gateway-module.js'
import { loadUpstreamsFile, UpstreamsFileError } from './gateway/upstreams-file.js'
import { dashboardRoutes } from './dashboard/routes.js'
import { SessionStore } from './dashboard/session-store.js'
import { Dispatcher } from './webhooks/dispatcher.js'
import { webhooksModule } from './webhooks/module.js'
import { usageModule } from './usage/module.js'
import { UsageRecorder } from './usage/usage-recorder.js'
import './webhooks/services.js'
import { buildOpenApiDocument } from './openapi/document.js'
import { AccountLinks } from './members/account-links.js'
import { createMailer } from './mail/mailer.js'
import './mail/services.js'
import { platformModule } from './platform/module.js'
import { resellersModule } from './resellers/module.js'
import type { RateLimiter } from './ratelimit/limiter.js'
import { MemoryRateLimiter } from './ratelimit/memory.js'
import { RedisRateLimiter } from './ratelimit/redis.js'
import { ResilientRateLimiter } from './ratelimit/resilient.js'
import {
  DATABASE_KEY_CACHE_CHANNEL,
  databaseChannel,
  KeyCacheInvalidation,
  redisChannel,
  redisKeyCacheChannel,
  type InvalidationChannel,
} from './auth/cache-invalidation.js'
import { Redis } from 'ioredis'
import { LimitPolicies } from './ratelimit/policies.js'
import { OperationExecutor } from './runtime/execute-operation.js'
import { isCallable } from './runtime/steps/authorise.js'
import { buildServices, limitClassesOf } from './services.js'
import { KeyVerifier } from './runtime/verify-key.js'
import { pageContexts } from './pages/page-context.js'
import type { DatabaseHandle } from './storage/db.js'
import { migrateToLatest } from './storage/migrate.js'
import { porticoMigrations } from './storage/migrations/index.js'
import { createPostgresDatabase } from './storage/postgres.js'
import { createSqliteDatabase } from './storage/sqlite.js'
import './orgs/services.js'
import './members/services.js'
import './keys/services.js'
import './platform/services.js'
import './resellers/services.js'

export const VERSION = '0.1.0'

export interface PorticoOptions {
  config: PorticoConfig
  /** Products mounted on Portico, such as the example e-signature service. */
  modules?: PorticoModule[]
  logger?: Logger
  /** An already-open database (tests pass one per PostgreSQL schema). */
  database?: DatabaseHandle
}

export interface Portico {
  app: Hono<HttpEnv>
  /** The app as Node's request listener: the API's operations answered on Node directly, the rest by Hono (rest-on-node.ts). */
  nodeListener: RequestListener
  config: PorticoConfig
  database: DatabaseHandle
  log: Logger
  registry: OperationRegistry
  services: Services
  executor: OperationExecutor
  /** The services declared in PORTICO_UPSTREAMS, when there are any. */
  gateway: Gateway | undefined
  /** Starts background work (last-use batching, housekeeping, module workers). */
  start(): Promise<void>
  /** Writes pending last-use times now (tests; shutdown does it too). */
  flushLastUsed(): Promise<void>
  flushUsage(): Promise<void>
  /** On an empty database, a one-time link that creates the first organisation and its Owner. */
  firstRunLink(): Promise<string | undefined>
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>
  /** Graceful (see the method); `idleAfterMs: 0` closes idle keep-alive connections at once (tests). */
  close(options?: { idleAfterMs?: number }): Promise<void>
}

/** The one place that picks SQLite or PostgreSQL. */
export function openDatabase(config: PorticoConfig): DatabaseHandle {
  return config.database.kind === 'sqlite'
    ? createSqliteDatabase(config.database.file)
    : createPostgresDatabase(config.database.url, { maxConnections: config.databasePoolSize })
}

/** Each logger's buffer in front of its destination. */
const logBuffers = new Set<LogBuffer>()
/** How long a log line may wait in the buffer when fewer than a block (64 KB) follow it. */
const LOG_FLUSH_MS = 200

/**
 * The server's log on stdout, written asynchronously in blocks: lines gather until 64 KB or
 * 200 ms (log-buffer.ts), then go out in one write, so the request log costs no write per
 * request. Whatever is still buffered is written synchronously when the process exits, on a crash too.
 */
export function createLogger(config: PorticoConfig): Logger {
  const buffer = new LogBuffer(pino.destination({ dest: 1, sync: false, minLength: 0 }))
  if (logBuffers.size === 0) {
    process.once('exit', () => logBuffers.forEach((b) => b.flushSync()))
    setInterval(() => logBuffers.forEach((b) => b.flush()), LOG_FLUSH_MS).unref()
  }
  logBuffers.add(buffer)
  const logger = pino({ level: config.logLevel, base: LOG_BASE, timestamp: pino.stdTimeFunctions.isoTime }, buffer)
  ownRequestLines.set(logger, ownRequestLine((line) => buffer.write(line), `,${JSON.stringify(LOG_BASE).slice(1, -1)}`))
  return logger
}

const LOG_BASE = { service: 'portico' }
/** The request-log writer of each logger createLogger made: its lines go straight into its buffer. */
const ownRequestLines = new WeakMap<Logger, RequestLineWriter>()

/** How long a Redis command may go unanswered before Redis counts as unreachable. */
const REDIS_TIMEOUT_MS = 1000

interface RedisConnections {
  client: Redis
  subscriber: Redis
  limiter: Redis
}

/**
 * Three connections: commands, a subscriber (a subscribed connection can do nothing else), and the
 * rate limiter's. Commands fail fast while Redis is away (no offline queue), so the limiter can
 * fall back at once. The limiter's connection has no per-command timer (one per request cost
 * about 5% of the Redis-limited route's throughput); its limiter watches the connection instead.
 */
function connectRedis(url: string, log: Logger): RedisConnections {
  // disconnectTimeout: how long a closing connection to a Redis that no longer answers lingers.
  const options = { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: REDIS_TIMEOUT_MS, connectTimeout: 2000, disconnectTimeout: 200 }
  // No auto-pipelining: it batches only the commands of one callback, and each HTTP request arrives
  // in its own, so it added a pipeline per request (measured: 46% more throughput on the Redis-limited
  // route without it, bench/ratelimit).
  const client = new Redis(url, options)
  const subscriber = new Redis(url, { ...options, enableOfflineQueue: true, commandTimeout: undefined })
  const limiter = new Redis(url, { ...options, commandTimeout: undefined })
  // ioredis reports every failed reconnect; the limiter logs the outage once, so these stay at debug.
  for (const c of [client, subscriber, limiter]) c.on('error', (err: Error) => log.debug({ err }, 'redis connection error'))
  return { client, subscriber, limiter }
}

/** Quits politely, but a Redis that does not answer within half a second has its connection cut. */
async function closeRedis(client: Redis): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const quit = client.quit().then(() => true, () => true)
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 500)))
  if (!(await Promise.race([quit, late]))) client.disconnect()
  clearTimeout(timer)
}

/**
 * The shutdown's schedule within PORTICO_SHUTDOWN_TIMEOUT: webhook attempts in flight get 2 s at
 * most; idle keep-alive connections one more request for up to 1 s; requests in flight all but the
 * last 2.5 s, which are kept for flushing counters and closing connections.
 */
export function shutdownSchedule(timeoutSeconds: number): { attemptsMs: number; idleAfterMs: number; deadlineMs: number } {
  const total = timeoutSeconds * 1000
  return { attemptsMs: Math.min(2000, total / 4), idleAfterMs: Math.min(1000, total / 10), deadlineMs: Math.max(total / 2, total - 2500) }
}

/**
 * Gives Redis its first connection attempt before serving, so the first requests are counted there
 * rather than logged as an outage; a Redis that refuses or does not answer does not stop start-up.
 */
function firstConnection(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      client.off('ready', done).off('error', done)
      resolve()
    }
    const timer = setTimeout(done, timeoutMs)
    client.once('ready', done).once('error', done)
  })
}

/** The webhook dispatcher, in the API process or on its own (`portico worker`). */
export function createDispatcher(deps: { db: DatabaseHandle['db']; dialect: DatabaseHandle['dialect']; log: Logger; config: PorticoConfig; outbox: TransactionalOutbox }): Dispatcher {
  return new Dispatcher({
    db: deps.db,
    dialect: deps.dialect,
    log: deps.log,
    outbox: deps.outbox,
    auditWriter,
    allowPrivate: deps.config.webhooksAllowPrivate,
    leaseMs: deps.config.webhookLeaseSeconds * 1000,
  })
}

export async function migrate(database: DatabaseHandle, modules: PorticoModule[]): Promise<string[]> {
  return migrateToLatest(database.db, [porticoMigrations, ...modules.map((m) => m.migrations ?? {})])
}

export function builtInModules(): PorticoModule[] {
  return [platformModule, keysModule, resellersModule, webhooksModule, usageModule]
}

export async function createPortico(options: PorticoOptions): Promise<Portico> {
  const { config } = options
  const log = options.logger ?? createLogger(config)
  // A bad upstreams file stops the start before anything is opened or migrated.
  const upstreams = config.upstreams ? gatewayModule(config.upstreams.file, loadUpstreamsFile(config.upstreams.file, config.upstreams.secret), log) : undefined
  const modules = [...builtInModules(), ...(options.modules ?? [])]
  const database = options.database ?? openDatabase(config)
  const { db, dialect } = database
  // The product's own modules (and the gateway's upstreams): the events a service key may post.
  const productModules = [...(options.modules ?? []), ...(upstreams ? [upstreams.module] : [])]
  await migrate(database, modules)

  const registry = new OperationRegistry()
  for (const m of modules) registry.add(...(m.operations ?? []))
  if (upstreams) {
    const file = config.upstreams!.file
    for (const op of upstreams.module.operations ?? []) {
      try {
        registry.add(op)
      } catch (error) {
        throw new UpstreamsFileError(file, op.tags?.[0], (error as Error).message)
      }
    }
    modules.push(upstreams.module)
  }
  const limitClasses = limitClassesOf(modules, config.rateLimitClasses)
  const policies = new LimitPolicies(limitClasses)
  for (const op of registry.all()) {
    if (policies.has(op.limit)) continue
    if (upstreams?.module.operations?.includes(op)) {
      throw new UpstreamsFileError(config.upstreams!.file, op.tags?.[0], `operation ${op.id} names rate-limit class "${op.limit}", which is not declared (PORTICO_RATE_LIMITS)`)
    }
    throw new Error(`operation ${op.id} names rate-limit class "${op.limit}", which no module declares`)
  }

  const shared = config.redisUrl ? connectRedis(config.redisUrl, log) : undefined
  if (shared) await Promise.all([firstConnection(shared.client, 2000), firstConnection(shared.limiter, 2000)])
  const limiter: RateLimiter = shared
    ? new ResilientRateLimiter(
        new RedisRateLimiter(shared.limiter, config.redisPrefix, REDIS_TIMEOUT_MS),
        new MemoryRateLimiter(),
        config.rateLimitFailOpen,
        log,
      )
    : new MemoryRateLimiter()
  const keyCache = new KeyCache(config.keyCacheTtlSeconds * 1000)
  // Changes to keys reach every instance's cache over Redis and over PostgreSQL, whichever there
  // are, so either keeps working while the other is down.
  const invalidationChannels: InvalidationChannel[] = []
  if (shared) invalidationChannels.push(redisChannel(shared.client, shared.subscriber, redisKeyCacheChannel(config.redisPrefix)))
  if (database.notifications) invalidationChannels.push(databaseChannel(database.notifications, DATABASE_KEY_CACHE_CHANNEL))
  const invalidation = new KeyCacheInvalidation(keyCache, log, invalidationChannels, () => sql`select 1`.execute(db).then(() => true, () => false))
  database.watchAvailability?.((up, err) => {
    invalidation.databaseReachable(up)
    if (up) log.warn('database reachable again')
    else log.error({ err }, 'database unreachable: requests that need it answer 503 service_unavailable; cached keys keep working')
  })
  const prefixes = { org: config.keyPrefix, reseller: config.resellerKeyPrefix, service: config.serviceKeyPrefix }
  // Imported keys' prefixes: read before serving, kept current over the invalidation channels.
  const importedPrefixes = new ImportedPrefixes()
  const importedSync = syncImportedPrefixes(importedPrefixes, invalidation, db, log)
  await importedPrefixes.load(db)
  const outbox = new TransactionalOutbox()
  const metrics = new Metrics()
  const dispatcher = createDispatcher({ db, dialect, log, config, outbox })
  // One process on a SQLite file spends credits from memory, taken from the file in blocks;
  // instances sharing PostgreSQL spend each one in the database.
  const creditStore = new CreditStore(db)
  const credits: CreditMeter = dialect === 'sqlite' ? new MemoryCreditMeter(creditStore, log) : new DatabaseCreditMeter(creditStore)
  const built = buildServices({ database, config, modules, invalidation, nudge: () => dispatcher.nudge(), heldCredits: (keyId, version, period) => credits.held(keyId, version, period) })
  outbox.onAppend(built.webhooks.fanOut)
  const keyService = built.keys
  // One store for the services, authentication and last-use writes.
  const keyStore = keyService.store
  const memberService = built.members
  const mail = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, log })
  const services: Services = {
    mail,
    keys: built.keys,
    keyImport: new KeyImporter(importedSync, () => [prefixes.org, prefixes.reseller]),
    keyNotices: new KeyNotices({ db, outbox, auditWriter, log }),
    orgs: built.orgs,
    members: built.members,
    resellers: built.resellers,
    webhooks: built.webhooks,
    webhookDispatcher: dispatcher,
    catalog: { operations: () => registry.all(), isCallable },
    // Portico's own events (keys, webhooks) are never posted from outside.
    platformEvents: { postable: () => productModules.flatMap((m) => m.events ?? []) },
    verification: {
      verify: (request, context) => verifier.verify(request, context),
      limitClasses: () => policies.names(),
    },
  }
  const lastUsed = new LastUsedTracker(keyStore, log)
  const usage = new UsageRecorder(db, log)
  const idempotency = new IdempotencyStore(db)
  const lastUse: RequestObserver = (o) => {
    if (o.principal && o.principal.kind !== 'user') lastUsed.touch(o.principal.keyId, o.at)
  }
  const observers: RequestObserver[] = [lastUse, metrics.observe, usage.observe]
  const guard = new AuthGuard(new Authenticator(keyStore, keyCache, prefixes, importedPrefixes), limiter, config.authFailuresPerMinute)
  const executor = new OperationExecutor({
    checkOutput: config.checkOutput,
    db,
    dialect,
    get publicUrl() {
      return config.publicUrl
    },
    log,
    services,
    outbox,
    auditWriter,
    limiter,
    policies,
    guard,
    idempotency,
    observers,
    credits,
    // A verified key's use is recorded as its own request's would be: last use and usage.
    keyObservers: [lastUse, usage.observe],
  })
  const verifier = new KeyVerifier((request) => executor.check(request))

  const readiness: ReadinessCheck[] = [{ name: 'database', check: async () => void (await sql`select 1`.execute(db)) }]
  // Fail-open serves without Redis (counting in-process), so Redis down leaves the instance ready.
  if (shared) readiness.push({ name: 'redis', check: async () => void (await shared.client.ping()), optional: config.rateLimitFailOpen })
  const events = modules.flatMap((m) => m.events ?? [])
  const document = () =>
    buildOpenApiDocument({
      operations: registry.all(),
      events,
      tags: modules.flatMap((m) => m.tags ?? []),
      publicUrl: config.publicUrl,
      version: VERSION,
      keyPrefix: config.keyPrefix,
      resellerKeyPrefix: config.resellerKeyPrefix,
      serviceKeyPrefix: config.serviceKeyPrefix,
      limitClasses,
    })
  const firstRun = new FirstRun(db, { db, outbox, auditWriter })
  const dashboard = dashboardRoutes({
    db,
    registry,
    executor,
    members: memberService,
    sessions: new SessionStore(db),
    firstRun,
    accountLinks: new AccountLinks(db, { db, outbox, auditWriter }, config),
    mail,
    limiter,
    idempotency,
    tx: { db, outbox, auditWriter },
    urls: config,
    log,
    gateway: upstreams?.gateway,
  })
  // Read once here, so a missing or malformed keys file stops the start naming the variable.
  const scanningKeys = config.leakReportKeysFile ? new ScanningKeys(config.leakReportKeysFile) : undefined
  const leakReports = scanningKeys && { keys: scanningKeys, service: new LeakReports(keyService, { db, outbox, auditWriter }, couldBeKey(prefixes, importedPrefixes)) }
  const mounts: RouteMount[] = [
    probeRoutes(readiness, metrics, () => drain?.draining ?? false, config.metricsToken),
    leakReportRoutes({ reports: leakReports, limiter, failuresPerMinute: config.authFailuresPerMinute }),
    docsRoutes(document, config),
    mcpRoutes({ registry, executor, guard, log, version: VERSION, urls: config, allowedOrigins: config.mcpAllowedOrigins }),
    dashboard,
  ]

  const requestLine = ownRequestLines.get(log)
  const app = createHttpApp({
    registry,
    executor,
    log,
    trustProxy: config.trustProxy,
    requestLine,
    turnBatching: config.turnBatching,
    pages: modules.flatMap((m) => m.pages ?? []),
    pageContext: pageContexts({ db, dialect, log, tx: { db, outbox, auditWriter }, limiter, policies, urls: config, mail }),
    mounts,
  })

  const nodeListener = restOnNode(
    app,
    { registry, executor, log, requestLine, trustProxy: config.trustProxy, turnBatching: config.turnBatching },
    getRequestListener(app.fetch),
  )

  let drain: HttpDrain | undefined
  const timers: NodeJS.Timeout[] = []

  return {
    app,
    nodeListener,
    config,
    database,
    log,
    registry,
    services,
    executor,
    gateway: upstreams?.gateway,
    async start() {
      lastUsed.start()
      usage.start()
      if (config.inProcessWorker) {
        dispatcher.start()
        services.keyNotices.start()
      }
      await invalidation.start()
      const purge = setInterval(() => void idempotency.purgeExpired().catch((err) => log.warn({ err }, 'idempotency purge failed')), 3_600_000)
      purge.unref()
      timers.push(purge)
      // Without a channel (several processes on one SQLite file), imports elsewhere are read within the key cache's TTL.
      if (invalidationChannels.length === 0) {
        const refresh = setInterval(() => void importedSync.refresh(), Math.max(1, Math.min(config.keyCacheTtlSeconds, 60)) * 1000)
        refresh.unref()
        timers.push(refresh)
      }
      for (const m of modules) await m.start?.({ db, dialect, log, publicUrl: config.publicUrl })
    },
    flushLastUsed: () => lastUsed.flush(),
    flushUsage: () => usage.flush(),
    firstRunLink: () => firstRun.link(config.publicUrl),
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        const http = createServer(nodeListener)
        http.once('error', reject)
        http.listen(port, host, () => {
          const info = http.address() as AddressInfo
          // With PORT=0 and no PORTICO_PUBLIC_URL, links follow the port actually bound.
          if (!config.publicUrlConfigured) {
            const url = new URL(config.publicUrl)
            url.port = String(info.port)
            config.publicUrl = url.origin
          }
          resolve({ url: `http://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`, port: info.port })
        })
        // Longer than a load balancer's idle timeout (60 s on most), so the balancer, not Portico,
        // closes an idle connection and never sends on one Portico is closing. Headers get as long.
        http.keepAliveTimeout = config.keepAliveTimeoutSeconds * 1000
        http.headersTimeout = http.keepAliveTimeout + 1000
        drain = new HttpDrain(http)
      })
    },
    /**
     * Graceful: stops accepting and answers what is in flight (drain.ts), while the dispatcher
     * starts no new attempt and hands its batch back; then counters are flushed and connections
     * closed, all within PORTICO_SHUTDOWN_TIMEOUT.
     */
    async close(options = {}) {
      for (const t of timers) clearInterval(t)
      const schedule = { ...shutdownSchedule(config.shutdownTimeoutSeconds), ...options }
      invalidation.stop()
      await Promise.all([drain?.drain(schedule), dispatcher.stop(schedule.attemptsMs), services.keyNotices.stop()])
      for (const m of modules) await m.stop?.()
      await lastUsed.stop()
      await usage.stop()
      await credits.close()
      await limiter.close()
      if (shared) await Promise.all([shared.client, shared.subscriber, shared.limiter].map(closeRedis))
      mail.close()
      await database.close()
      await new Promise<void>((resolve) => log.flush(() => resolve()))
    },
  }
}
