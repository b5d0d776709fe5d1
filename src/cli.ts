import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, type PorticoConfig } from './core/config.js'
import type { TransactionScope } from './core/context.js'
import type { PorticoModule } from './core/module.js'
import { allScopes } from './core/scopes.js'
import { runInTransaction, systemMeta } from './core/transaction.js'
import { auditWriter } from './audit/audit-writer.js'
import { DATABASE_KEY_CACHE_CHANNEL, publishOverRedis } from './auth/cache-invalidation.js'
import { TransactionalOutbox } from './events/outbox.js'
import { KeyNotices } from './keys/key-notices.js'
import { buildServices } from './services.js'
import { builtInModules, createDispatcher, createLogger, createPortico, migrate, openDatabase, shutdownSchedule } from './server.js'
import { coreDb, type DatabaseHandle } from './storage/db.js'

const USAGE = `Usage: portico <command>

  start                      serve the API and dashboard
  migrate                    apply database migrations and exit
  worker                     run only the webhook dispatcher (with PORTICO_IN_PROCESS_WORKER=0 on the API)
  org create --name <name>   create an organisation and print its first key (all scopes) once
  reseller create --name <name>
                             create a reseller and print its first rsk_ key (all scopes) once
  reseller suspend --id <id> / reseller resume --id <id>
                             refuse or allow again the reseller's own keys (its organisations keep working)

Configuration comes from the environment (PORT, HOST, DATABASE_URL, REDIS_URL, …); see the README.`

export interface CliOptions {
  modules?: PorticoModule[]
  env?: Record<string, string | undefined>
  out?: (line: string) => void
}

/** Runs one CLI command; returns the process exit code (start resolves only on shutdown). */
export async function runCli(argv: string[], options: CliOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => process.stdout.write(line + '\n'))
  const err = (line: string) => process.stderr.write(line + '\n')
  let config: PorticoConfig
  try {
    config = loadConfig(options.env ?? process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      err(`portico: bad configuration: ${error.message}`)
      return 78
    }
    throw error
  }
  const modules = options.modules ?? []
  const [command, sub] = argv
  switch (command) {
    case 'start':
      return start(config, modules, out)
    case 'worker':
      return worker(config, modules)
    case 'migrate':
      return withDatabase(config, async (database) => {
        const applied = await migrate(database, [...builtInModules(), ...modules])
        out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date')
        return 0
      })
    case 'org': {
      if (sub !== 'create') break
      const { values } = parseArgs({ args: argv.slice(2), options: { name: { type: 'string' } } })
      const name = values.name?.trim()
      if (!name) {
        err('portico org create: --name is required')
        return 64
      }
      return withDatabase(config, async (database) => {
        await migrate(database, [...builtInModules(), ...modules])
        const { org, key } = await createOrganization(database, config, name)
        out(`organization: ${org.id} (${org.name})`)
        out(`api key (shown once, store it now): ${key}`)
        return 0
      })
    }
    case 'reseller': {
      if (sub === 'suspend' || sub === 'resume') {
        const { values } = parseArgs({ args: argv.slice(2), options: { id: { type: 'string' } } })
        const id = values.id?.trim()
        if (!id) {
          err(`portico reseller ${sub}: --id is required`)
          return 64
        }
        return withDatabase(config, async (database) => {
          await migrate(database, [...builtInModules(), ...modules])
          const result = await setResellerStatus(database, config, id, sub === 'suspend' ? 'suspended' : 'active')
          if (!result) {
            err(`portico reseller ${sub}: no reseller ${id}`)
            return 1
          }
          out(`reseller: ${result.row.id} (${result.row.name}) is ${result.row.status}${result.changed ? '' : ' already'}`)
          if (!result.broadcast) out('running instances see it within PORTICO_KEY_CACHE_TTL (no Redis or PostgreSQL to tell them now)')
          return 0
        })
      }
      if (sub !== 'create') break
      const { values } = parseArgs({ args: argv.slice(2), options: { name: { type: 'string' } } })
      const name = values.name?.trim()
      if (!name) {
        err('portico reseller create: --name is required')
        return 64
      }
      return withDatabase(config, async (database) => {
        await migrate(database, [...builtInModules(), ...modules])
        const { reseller, key } = await createReseller(database, config, name)
        out(`reseller: ${reseller.id} (${reseller.name})`)
        out(`reseller key (shown once, store it now): ${key}`)
        return 0
      })
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE)
      return command === undefined ? 64 : 0
  }
  err(`portico: unknown command "${argv.join(' ')}"\n\n${USAGE}`)
  return 64
}

async function withDatabase(config: PorticoConfig, fn: (database: DatabaseHandle) => Promise<number>): Promise<number> {
  const database = openDatabase(config)
  try {
    return await fn(database)
  } finally {
    await database.close()
  }
}

/** A change made by the operator at the command line: audited with no principal, from `local`. */
function operatorTransaction<T>(database: DatabaseHandle, orgId: string | null, fn: (tx: TransactionScope) => Promise<T>): Promise<T> {
  return runInTransaction({ db: database.db, outbox: new TransactionalOutbox(), auditWriter }, null, systemMeta(), orgId, fn)
}

/** An organisation and a first key holding every scope, written and audited in one transaction. */
export async function createOrganization(database: DatabaseHandle, config: PorticoConfig, name: string) {
  const { keys, orgs } = buildServices({ database, config, modules: builtInModules() })
  const org = await orgs.create({ name })
  const { key } = await operatorTransaction(database, org.id, async (tx) => {
    await tx.audit({ action: 'organization.created', targetType: 'organization', targetId: org.id, details: { name } })
    return keys.mint(tx, null, { type: 'org', orgId: org.id }, { name: 'First key', scopes: [...allScopes], expiresAt: null })
  })
  return { org, key }
}

/** A reseller and its first key holding every scope, written and audited in one transaction. */
export async function createReseller(database: DatabaseHandle, config: PorticoConfig, name: string) {
  const { keys, resellers: service } = buildServices({ database, config, modules: builtInModules() })
  const resellers = service.store
  return operatorTransaction(database, null, async (tx) => {
    const reseller = await resellers.createReseller(name, coreDb(tx.db))
    await tx.audit({ action: 'reseller.created', targetType: 'reseller', targetId: reseller.id, details: { name } })
    const { key } = await keys.mint(tx, null, { type: 'reseller', resellerId: reseller.id }, { name: 'First key', scopes: [...allScopes], expiresAt: null })
    return { reseller, key }
  })
}

/**
 * Suspends or resumes a reseller's own keys, audited; running instances drop them from their key
 * caches: told over PostgreSQL inside the transaction (heard at commit) and over Redis after it.
 * Its organisations and their keys are left as they are.
 */
export async function setResellerStatus(database: DatabaseHandle, config: PorticoConfig, id: string, status: 'active' | 'suspended') {
  const resellers = buildServices({ database, config, modules: builtInModules() }).resellers.store
  const message = `owner:${id}`
  const result = await operatorTransaction(database, null, async (tx) => {
    const changed = await resellers.setResellerStatus(id, status, coreDb(tx.db))
    if (changed?.changed) await tx.audit({ action: status === 'suspended' ? 'reseller.suspended' : 'reseller.resumed', targetType: 'reseller', targetId: id })
    if (changed) await database.notifications?.notify(DATABASE_KEY_CACHE_CHANNEL, message, tx.db)
    return changed
  })
  if (!result) return undefined
  const overRedis = config.redisUrl ? await publishOverRedis(config.redisUrl, config.redisPrefix, message) : false
  return { ...result, broadcast: overRedis || database.notifications !== undefined }
}

async function start(config: PorticoConfig, modules: PorticoModule[], out: (line: string) => void): Promise<number> {
  const log = createLogger(config)
  const portico = await createPortico({ config, modules, logger: log })
  await portico.start()
  const { url } = await portico.listen()
  out(`Portico listening on ${url}  (dashboard ${url}/ · API ${url}/api/v1 · reference ${url}/reference)`)
  const setup = await portico.firstRunLink()
  if (setup) out(`No organisation yet. Set up Portico (this link works once): ${setup}`)
  await untilSignal(config, log)
  return portico.close().then(
    () => 0,
    (error) => {
      log.error({ err: error }, 'shutdown failed')
      return 1
    },
  )
}

/**
 * Resolves on the first SIGTERM or SIGINT. From then on the process exits within
 * PORTICO_SHUTDOWN_TIMEOUT whatever happens: a timer ends it if the graceful shutdown has not
 * (a connection that would not close, say). A second signal ends it at once.
 */
function untilSignal(config: PorticoConfig, log: ReturnType<typeof createLogger>): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info({ signal, timeout_s: config.shutdownTimeoutSeconds }, 'shutting down: draining connections, handing back webhook deliveries, flushing counters')
      setTimeout(() => {
        log.error('shutdown did not finish in time; exiting now')
        process.exit(1)
      }, config.shutdownTimeoutSeconds * 1000).unref()
      for (const s of ['SIGTERM', 'SIGINT'] as const) {
        process.off(s, stop)
        process.once(s, () => {
          log.warn({ signal: s }, 'second signal; exiting now')
          process.exit(1)
        })
      }
      resolve()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}

/** The webhook dispatcher alone, until SIGTERM/SIGINT; any number may run beside the API instances. */
async function worker(config: PorticoConfig, modules: PorticoModule[]): Promise<number> {
  const log = createLogger(config)
  const database = openDatabase(config)
  await migrate(database, [...builtInModules(), ...modules])
  const outbox = new TransactionalOutbox()
  const dispatcher = createDispatcher({ db: database.db, dialect: database.dialect, log, config, outbox })
  // Events the worker itself records (webhook.disabled) fan out to the organisation's other endpoints.
  outbox.onAppend(buildServices({ database, config, modules: [...builtInModules(), ...modules], nudge: () => dispatcher.nudge() }).webhooks.fanOut)
  database.watchAvailability?.((up, err) => (up ? log.warn('database reachable again') : log.error({ err }, 'database unreachable; deliveries wait')))
  // Expiry notices, from the worker like deliveries: each sent once however many workers run.
  const notices = new KeyNotices({ db: database.db, outbox, auditWriter, log })
  dispatcher.start()
  notices.start()
  log.info('webhook worker started')
  process.stdout.write('Portico webhook worker running\n')
  await untilSignal(config, log)
  // No new attempt; those in flight get a short grace, then are handed back for another worker.
  await Promise.all([dispatcher.stop(shutdownSchedule(config.shutdownTimeoutSeconds).attemptsMs), notices.stop()])
  await database.close()
  return 0
}
