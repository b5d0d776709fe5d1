import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, type PorticoConfig } from './core/config.js'
import type { PorticoModule } from './core/module.js'
import { allScopes } from './core/scopes.js'
import { auditWriter } from './audit/audit-writer.js'
import { DATABASE_KEY_CACHE_CHANNEL, publishOverRedis } from './auth/cache-invalidation.js'
import { TransactionalOutbox } from './events/outbox.js'
import { KeyNotices } from './keys/key-notices.js'
import { buildServices } from './services.js'
import { addUser, ownerLink, resetLink, withArticle } from './cli/accounts.js'
import { commandHelp, USAGE } from './cli/help.js'
import { operatorTransaction, Refused } from './cli/operator.js'
import { serviceKeyCommand } from './cli/service-keys.js'

export { createServiceKey } from './cli/service-keys.js'
import { isConnectionError } from './storage/connection-errors.js'
import { builtInModules, createDispatcher, createLogger, createPortico, migrate, openDatabase, shutdownSchedule } from './server.js'
import { coreDb, type DatabaseHandle } from './storage/db.js'

export interface CliOptions {
  modules?: PorticoModule[]
  env?: Record<string, string | undefined>
  out?: (line: string) => void
  err?: (line: string) => void
}

const EXIT = { ok: 0, refused: 1, usage: 64, unavailable: 69, internal: 70, config: 78 } as const

/** A mistake in how a command was called: one line, then where to read more; exit 64. */
class UsageError extends Error {}

/** Parses a command's options strictly; `--help` is always accepted. */
function parseOptions<T extends Record<string, { type: 'string' | 'boolean' }>>(command: string, args: string[], spec: T) {
  try {
    return parseArgs({ args, options: { ...spec, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true }).values
  } catch (error) {
    // parseArgs says e.g. "Unknown option '--nmae'. To specify a positional argument starting with a '-', …": its first sentence.
    const first = (error instanceof Error ? error.message : String(error)).split(/\. |\n/)[0]!.replace(/\.$/, '')
    throw new UsageError(`portico ${command}: ${first}`)
  }
}

function required(command: string, values: Record<string, unknown>, name: string): string {
  const value = values[name]
  if (typeof value !== 'string' || !value.trim()) throw new UsageError(`portico ${command}: --${name} is required`)
  return value.trim()
}

/** Runs one CLI command; returns the process exit code (start resolves only on shutdown). Never throws. */
export async function runCli(argv: string[], options: CliOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => process.stdout.write(line + '\n'))
  const err = options.err ?? ((line: string) => process.stderr.write(line + '\n'))
  const [command, sub] = argv
  const help = commandHelp[command ?? '']
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      const topic = command === 'help' && sub ? commandHelp[sub] : undefined
      if (command === 'help' && sub && !topic) throw new UsageError(`portico help: no command "${sub}"`)
      out(topic ?? USAGE)
      return command === undefined ? EXIT.usage : EXIT.ok
    }
    if (!help) throw new UsageError(`portico: unknown command "${command}"`)
    if (argv.slice(1).some((a) => a === '--help' || a === '-h')) {
      out(help)
      return EXIT.ok
    }
    const config = loadConfig(options.env ?? process.env)
    return await runCommand(argv, config, options.modules ?? [], out, err)
  } catch (error) {
    if (error instanceof UsageError) {
      err(error.message)
      err(help && command !== undefined ? `Run "portico ${command} --help" for its usage.` : 'Run "portico help" for the list of commands.')
      return EXIT.usage
    }
    if (error instanceof ConfigError) {
      err(`portico: bad configuration: ${error.message}`)
      return EXIT.config
    }
    if (error instanceof Refused) {
      err(`portico ${command}${sub && !sub.startsWith('-') ? ` ${sub}` : ''}: ${error.message}`)
      return EXIT.refused
    }
    const unavailable = describeUnavailable(error, options.env ?? process.env)
    if (unavailable) {
      err(`portico ${command}: ${unavailable}`)
      return EXIT.unavailable
    }
    err(`portico ${command}: unexpected failure: ${oneLine(error)}`)
    return EXIT.internal
  }
}

const oneLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!

/** A port in use, an address that is not this machine's, a database that does not answer: one sentence each. */
function describeUnavailable(error: unknown, env: Record<string, string | undefined>): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code
  const syscall = (error as { syscall?: unknown } | undefined)?.syscall
  const where = `${env.HOST?.trim() || '127.0.0.1'}:${env.PORT?.trim() || '3000'}`
  if (code === 'EADDRINUSE') return `cannot listen on ${where}: the port is already in use (set PORT to another, or stop what holds it)`
  if (code === 'EACCES' && syscall === 'listen') return `cannot listen on ${where}: permission denied (ports below 1024 need privileges; set PORT)`
  if (code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: that address is not one of this machine's (set HOST, e.g. 127.0.0.1 or 0.0.0.0)`
  if ((code === 'ENOTFOUND' || code === 'EAI_AGAIN') && syscall === 'getaddrinfo' && (error as { hostname?: string }).hostname === env.HOST?.trim()) {
    return `cannot listen on ${where}: HOST is not an address or a name this machine resolves (set HOST, e.g. 127.0.0.1 or 0.0.0.0)`
  }
  if (isConnectionError(error)) return `the database cannot be reached (${oneLine(error)}); check DATABASE_URL and that the server is running`
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_BUSY') return `the SQLite database cannot be used (${oneLine(error)}); check DATABASE_URL`
  return undefined
}

async function runCommand(argv: string[], config: PorticoConfig, modules: PorticoModule[], out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const [command, sub] = argv
  const allModules = [...builtInModules(), ...modules]
  /** Opens the database, applies migrations, runs `fn`, closes it. */
  const withMigrated = (fn: (database: DatabaseHandle) => Promise<number>) =>
    withDatabase(config, async (database) => {
      await migrate(database, allModules)
      return fn(database)
    })
  const subcommand = (names: string[]) => {
    if (sub === undefined || sub.startsWith('-')) throw new UsageError(`portico ${command}: which one? ${names.join(', ')}`)
    if (!names.includes(sub)) throw new UsageError(`portico ${command}: unknown subcommand "${sub}" (expected ${names.join(' or ')})`)
    return sub
  }
  switch (command) {
    case 'start':
      parseOptions('start', argv.slice(1), {})
      return start(config, modules, out)
    case 'worker':
      parseOptions('worker', argv.slice(1), {})
      return worker(config, modules)
    case 'migrate':
      parseOptions('migrate', argv.slice(1), {})
      return withDatabase(config, async (database) => {
        const applied = await migrate(database, allModules)
        out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date')
        return 0
      })
    case 'org': {
      if (subcommand(['create', 'list']) === 'list') {
        parseOptions('org list', argv.slice(2), {})
        return withMigrated(async (database) => {
          const orgs = await coreDb(database.db).selectFrom('organizations').select(['id', 'name', 'status']).orderBy('created_at').orderBy('id').execute()
          if (orgs.length === 0) out('no organisations yet (portico org create --name <name>)')
          for (const o of orgs) out(`${o.id}  ${o.status.padEnd(9)}  ${o.name}`)
          return 0
        })
      }
      const values = parseOptions('org create', argv.slice(2), { name: { type: 'string' }, force: { type: 'boolean' } })
      const name = required('org create', values, 'name')
      if (name.length > 100) throw new UsageError('portico org create: --name is at most 100 characters')
      return withMigrated(async (database) => {
        const same = await coreDb(database.db).selectFrom('organizations').select('id').where('name', '=', name).orderBy('created_at').execute()
        if (same.length > 0 && !values.force) {
          throw new Refused(`an organisation named "${name}" already exists (${same.map((o) => o.id).join(', ')}); add --force to create another one with the same name`)
        }
        if (same.length > 0) err(`warning: "${name}" is now the name of ${same.length + 1} organisations`)
        const { org, key } = await createOrganization(database, config, name)
        out(`organization: ${org.id} (${org.name})`)
        out(`api key (shown once, store it now): ${key}`)
        out(`dashboard: portico setup-link --org ${org.id} prints the one-time link that creates its Owner`)
        return 0
      })
    }
    case 'user': {
      subcommand(['create'])
      const values = parseOptions('user create', argv.slice(2), { org: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' }, name: { type: 'string' } })
      const input = { orgId: required('user create', values, 'org'), email: required('user create', values, 'email'), role: required('user create', values, 'role'), name: values.name }
      return withMigrated(async (database) => {
        const done = await addUser(database, config, input)
        out(`user: ${done.userId} (${done.email}) is now ${withArticle(input.role)} of ${done.orgName}`)
        if (done.kind === 'created') out(`one-time link to choose a password (until ${done.expiresAt}): ${done.setupUrl}`)
        else out('an existing account: no link; they sign in with their own password (portico setup-link --email prints a reset link)')
        return 0
      })
    }
    case 'setup-link': {
      const values = parseOptions('setup-link', argv.slice(1), { org: { type: 'string' }, email: { type: 'string' } })
      if (Boolean(values.org) === Boolean(values.email)) throw new UsageError('portico setup-link: give either --org <id> or --email <address>')
      return withMigrated(async (database) => {
        if (values.org) {
          const link = await ownerLink(database, config, values.org.trim())
          out(`one-time link that creates the first Owner of ${link.orgName} (until ${link.expiresAt}): ${link.url}`)
        } else {
          const link = await resetLink(database, config, values.email!)
          out(`one-time password-reset link for ${link.email} (until ${link.expiresAt}): ${link.url}`)
        }
        return 0
      })
    }
    case 'service-key': {
      const which = subcommand(['create', 'list', 'revoke', 'roll']) as 'create' | 'list' | 'revoke' | 'roll'
      return serviceKeyCommand(which, argv.slice(2), config, withMigrated, out, (message) => {
        throw new UsageError(message)
      })
    }
    case 'reseller': {
      const action = subcommand(['create', 'suspend', 'resume'])
      if (action === 'suspend' || action === 'resume') {
        const values = parseOptions(`reseller ${action}`, argv.slice(2), { id: { type: 'string' } })
        const id = required(`reseller ${action}`, values, 'id')
        return withMigrated(async (database) => {
          const result = await setResellerStatus(database, config, id, action === 'suspend' ? 'suspended' : 'active')
          if (!result) throw new Refused(`no reseller ${id}`)
          out(`reseller: ${result.row.id} (${result.row.name}) is ${result.row.status}${result.changed ? '' : ' already'}`)
          if (!result.broadcast) out('running instances see it within PORTICO_KEY_CACHE_TTL (no Redis or PostgreSQL to tell them now)')
          return 0
        })
      }
      const values = parseOptions('reseller create', argv.slice(2), { name: { type: 'string' } })
      const name = required('reseller create', values, 'name')
      return withMigrated(async (database) => {
        const { reseller, key } = await createReseller(database, config, name)
        out(`reseller: ${reseller.id} (${reseller.name})`)
        out(`reseller key (shown once, store it now): ${key}`)
        return 0
      })
    }
  }
  throw new UsageError(`portico: unknown command "${command}"`)
}

async function withDatabase(config: PorticoConfig, fn: (database: DatabaseHandle) => Promise<number>): Promise<number> {
  const database = openDatabase(config)
  try {
    return await fn(database)
  } finally {
    await database.close()
  }
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
  let portico: Awaited<ReturnType<typeof createPortico>>
  try {
    portico = await createPortico({ config, modules, logger: log })
  } catch (error) {
    // A configuration read at start (PORTICO_UPSTREAMS) fails as the environment does: one line.
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`portico: bad configuration: ${error.message}\n`)
    return 78
  }
  await portico.start()
  let url: string
  try {
    url = (await portico.listen()).url
  } catch (error) {
    // Nothing was served: stop what start() began, then say why in one line (runCli).
    await portico.close({ idleAfterMs: 0 }).catch(() => {})
    throw error
  }
  out(`Portico listening on ${url}  (dashboard ${url}/ · API ${url}/api/v1 · reference ${url}/reference)`)
  const setup = await portico.firstRunLink()
  if (setup) out(`No organisation yet. Set up Portico (this link works once): ${setup}`)
  else for (const org of await ownerless(portico.database)) out(`${org.name} has no Owner yet: portico setup-link --org ${org.id} prints the link that creates one`)
  await untilSignal(config, log)
  return portico.close().then(
    () => 0,
    (error) => {
      log.error({ err: error }, 'shutdown failed')
      return 1
    },
  )
}

/** Organisations nobody can sign in to (made with `org create`, say), a few at most. */
async function ownerless(database: DatabaseHandle) {
  const db = coreDb(database.db)
  return db
    .selectFrom('organizations')
    .select(['id', 'name'])
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('memberships').select('user_id').whereRef('memberships.org_id', '=', 'organizations.id').where('memberships.role', '=', 'owner'))),
    )
    .orderBy('created_at')
    .limit(3)
    .execute()
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
