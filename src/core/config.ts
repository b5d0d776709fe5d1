import path from 'node:path'
import type { LimitClassSpec } from './module.js'

/** Raised for a bad setting; the CLI prints its message as the one line that stops the start. */
export class ConfigError extends Error {
  constructor(readonly variable: string, readonly detail: string) {
    super(`${variable}: ${detail}`)
    this.name = 'ConfigError'
  }
}

export type DatabaseTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string }

export interface PorticoConfig {
  port: number
  host: string
  database: DatabaseTarget
  redisUrl: string | undefined
  /** Prefix of every Redis key and channel, so several deployments (or test runs) can share one Redis. */
  redisPrefix: string
  keyPrefix: string
  resellerKeyPrefix: string
  /** Prefix of the deployment's own service keys (`psk`), for its backends' platform calls. */
  serviceKeyPrefix: string
  webhooksAllowPrivate: boolean
  /** Base of links; when not configured it follows the address the server actually listens on. */
  publicUrl: string
  publicUrlConfigured: boolean
  logLevel: string
  /**
   * PORTICO_CHECK_OUTPUT=1: every answer is validated against its operation's output schema (what
   * the test suites run with). Off, an answer is only projected onto the keys its schema declares.
   */
  checkOutput: boolean
  /**
   * PORTICO_TURN_BATCHING (true): REST runs each operation in the check phase of the event-loop
   * turn its request was read in, so the turn's requests are answered together.
   */
  turnBatching: boolean
  /** fail-open keeps serving with an in-process limiter while Redis is away; fail-closed answers 503. */
  rateLimitFailOpen: boolean
  /** The deployer's rate-limit classes: they add classes and replace the defaults and modules' ones. */
  rateLimitClasses: LimitClassSpec[]
  /** Seconds a verified key stays in the in-memory cache before it is re-read from the database. */
  keyCacheTtlSeconds: number
  /** Failed authentications one client address may make per minute before it gets 429. */
  authFailuresPerMinute: number
  /** Run the webhook dispatcher inside the API process (off when a separate `portico worker` runs it). */
  inProcessWorker: boolean
  /** How long a claimed delivery stays leased to its dispatcher; a crashed one's work is retaken after it. */
  webhookLeaseSeconds: number
  /** The bearer token `/metrics` asks for; unset, `/metrics` is not served at all (404). */
  metricsToken: string | undefined
  /** JSON file of secret-scanning public keys (`{public_keys: [{key_identifier, key}]}`); unset: leak reports are not accepted. */
  leakReportKeysFile: string | undefined
  /** Webhook endpoints one organisation may have: each event fans out to every one of them. */
  webhooksPerOrg: number
  /** Browser origins allowed to call /mcp; empty allows only requests without an Origin header and same-origin. */
  mcpAllowedOrigins: string[]
  /** PostgreSQL connections this process may hold. */
  databasePoolSize: number
  /** Seconds an idle keep-alive connection is kept open: longer than a load balancer's idle timeout. */
  keepAliveTimeoutSeconds: number
  /** Seconds a SIGTERM gives requests, webhook attempts and flushes before the process exits. */
  shutdownTimeoutSeconds: number
  /**
   * Proxies in front of Portico: the client address is the N-th `X-Forwarded-For` entry from the
   * right (each proxy appends the address it was reached from); 0 takes the socket's address.
   */
  trustProxy: number
  /** `smtp://` or `smtps://` server Portico sends its e-mail through; unset, it sends none. */
  smtpUrl: string | undefined
  /** The sender of that e-mail. */
  mailFrom: string
  /**
   * PORTICO_UPSTREAMS: the file declaring the services Portico stands in front of (read at start),
   * and where their secrets (`secret_env`) are read from.
   */
  upstreams: { file: string; secret(name: string): string | undefined } | undefined
}

type Env = Record<string, string | undefined>

export function parseBoolean(variable: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback
  const v = value.trim().toLowerCase()
  if (v === '1' || v === 'true') return true
  if (v === '0' || v === 'false') return false
  throw new ConfigError(variable, `expected 1, true, 0 or false, got "${value}"`)
}

function parseInteger(variable: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback
  if (!/^\d+$/.test(value.trim())) throw new ConfigError(variable, `expected an integer, got "${value}"`)
  const n = Number(value)
  if (n < min || n > max) throw new ConfigError(variable, `expected ${min}…${max}, got ${n}`)
  return n
}

/** Long enough not to be guessed, and sendable as a bearer token. */
function parseMetricsToken(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined
  if (!/^[\x21-\x7e]{16,512}$/.test(value)) throw new ConfigError('PORTICO_METRICS_TOKEN', 'expected 16 to 512 visible ASCII characters, no spaces (for example: openssl rand -hex 32)')
  return value
}

/** `0`/`false` (the default), `1`/`true`, or a number of proxies. */
function parseTrustProxy(value: string | undefined): number {
  const v = value?.trim().toLowerCase() ?? ''
  if (v === '' || v === 'false') return 0
  if (v === 'true') return 1
  if (/^\d{1,2}$/.test(v)) return Number(v)
  throw new ConfigError('PORTICO_TRUST_PROXY', `expected the number of proxies in front of Portico (0, 1, 2…), true (1) or false (0), got "${value}"`)
}

const PREFIX = /^[a-z][a-z0-9]{1,15}$/

function parsePrefix(variable: string, value: string | undefined, fallback: string): string {
  const v = value === undefined || value === '' ? fallback : value
  if (!PREFIX.test(v)) throw new ConfigError(variable, `expected 2-16 lowercase letters or digits starting with a letter, got "${v}"`)
  return v
}

export function parseDatabaseUrl(value: string | undefined, cwd = process.cwd()): DatabaseTarget {
  const v = value === undefined || value === '' ? 'file:./data/portico.db' : value.trim()
  if (v.startsWith('file:')) {
    const file = v.slice('file:'.length).replace(/^\/\/(?=\/)/, '')
    if (!file) throw new ConfigError('DATABASE_URL', 'file: needs a path, e.g. file:./data/portico.db')
    if (file === ':memory:') return { kind: 'sqlite', file }
    return { kind: 'sqlite', file: path.resolve(cwd, file) }
  }
  if (v.startsWith('postgres://') || v.startsWith('postgresql://')) {
    try {
      new URL(v)
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL')
    }
    return { kind: 'postgres', url: v }
  }
  throw new ConfigError('DATABASE_URL', 'expected file:<path> (SQLite) or postgres://… (PostgreSQL)')
}

function parseUrl(variable: string, value: string | undefined, protocols: string[]): string | undefined {
  if (value === undefined || value === '') return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(variable, `is not a valid URL: "${value}"`)
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(variable, `expected ${protocols.join(' or ')} URL`)
  return value.replace(/\/$/, '')
}

function parseRedisPrefix(value: string | undefined): string {
  const v = value === undefined || value === '' ? 'portico:' : value
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(v)) throw new ConfigError('PORTICO_REDIS_PREFIX', `expected 1-64 of A-Z a-z 0-9 : _ . -, got "${v}"`)
  return v
}

const LIMIT_CLASS = /^([a-z][a-z0-9_]{0,31})=(\d{1,9})\/(\d{1,5})$/

/** `general=600/60,send=10/60`: class name = requests / window in seconds (at most a day). */
function parseLimitClasses(value: string | undefined): LimitClassSpec[] {
  if (value === undefined || value.trim() === '') return []
  return value.split(',').map((item) => {
    const m = LIMIT_CLASS.exec(item.replace(/\s+/g, ''))
    const limit = Number(m?.[2])
    const windowSeconds = Number(m?.[3])
    if (!m || limit < 1 || windowSeconds < 1 || windowSeconds > 86_400) {
      throw new ConfigError('PORTICO_RATE_LIMITS', `expected name=requests/seconds, comma-separated (general=600/60,send=10/60), got "${item.trim()}"`)
    }
    return { name: m[1]!, limit, windowSeconds }
  })
}

/** Never echoed back: it may hold the SMTP password. */
function parseSmtpUrl(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw new ConfigError('PORTICO_SMTP_URL', 'is not a valid URL (expected smtp://user:password@host:587 or smtps://…:465)')
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError('PORTICO_SMTP_URL', 'expected an smtp:// or smtps:// URL')
  if (!url.hostname) throw new ConfigError('PORTICO_SMTP_URL', 'names no host')
  return value.trim()
}

/** `Name <address>` or a bare address; one line, so it cannot add headers. */
function parseMailFrom(value: string | undefined): string {
  const v = value?.trim() || 'Portico <portico@localhost>'
  if (!/^([^<>\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/.test(v)) {
    throw new ConfigError('PORTICO_MAIL_FROM', `expected an address or "Name <address>", got "${v}"`)
  }
  return v
}

export function loadConfig(env: Env = process.env): PorticoConfig {
  const port = parseInteger('PORT', env.PORT, 3000, 0, 65535)
  const host = env.HOST?.trim() || '127.0.0.1'
  const keyPrefix = parsePrefix('PORTICO_KEY_PREFIX', env.PORTICO_KEY_PREFIX, 'ptk')
  const resellerKeyPrefix = parsePrefix('PORTICO_RESELLER_KEY_PREFIX', env.PORTICO_RESELLER_KEY_PREFIX, 'rsk')
  if (keyPrefix === resellerKeyPrefix) {
    throw new ConfigError('PORTICO_RESELLER_KEY_PREFIX', 'must differ from PORTICO_KEY_PREFIX')
  }
  const serviceKeyPrefix = parsePrefix('PORTICO_SERVICE_KEY_PREFIX', env.PORTICO_SERVICE_KEY_PREFIX, 'psk')
  if (serviceKeyPrefix === keyPrefix || serviceKeyPrefix === resellerKeyPrefix) {
    throw new ConfigError('PORTICO_SERVICE_KEY_PREFIX', 'must differ from PORTICO_KEY_PREFIX and PORTICO_RESELLER_KEY_PREFIX')
  }
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host
  const publicUrl =
    parseUrl('PORTICO_PUBLIC_URL', env.PORTICO_PUBLIC_URL, ['http:', 'https:']) ?? `http://${shownHost}:${port}`
  const logLevel = env.LOG_LEVEL?.trim() || 'info'
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected fatal, error, warn, info, debug, trace or silent, got "${logLevel}"`)
  }
  return {
    port,
    host,
    database: parseDatabaseUrl(env.DATABASE_URL),
    redisUrl: parseUrl('REDIS_URL', env.REDIS_URL, ['redis:', 'rediss:']),
    redisPrefix: parseRedisPrefix(env.PORTICO_REDIS_PREFIX),
    keyPrefix,
    resellerKeyPrefix,
    serviceKeyPrefix,
    webhooksAllowPrivate: parseBoolean('PORTICO_WEBHOOKS_ALLOW_PRIVATE', env.PORTICO_WEBHOOKS_ALLOW_PRIVATE, false),
    publicUrl,
    publicUrlConfigured: Boolean(env.PORTICO_PUBLIC_URL),
    logLevel,
    checkOutput: parseBoolean('PORTICO_CHECK_OUTPUT', env.PORTICO_CHECK_OUTPUT, false),
    turnBatching: parseBoolean('PORTICO_TURN_BATCHING', env.PORTICO_TURN_BATCHING, true),
    rateLimitFailOpen: parseBoolean('PORTICO_RATE_LIMIT_FAIL_OPEN', env.PORTICO_RATE_LIMIT_FAIL_OPEN, true),
    rateLimitClasses: parseLimitClasses(env.PORTICO_RATE_LIMITS),
    keyCacheTtlSeconds: parseInteger('PORTICO_KEY_CACHE_TTL', env.PORTICO_KEY_CACHE_TTL, 30, 0, 3600),
    authFailuresPerMinute: parseInteger('PORTICO_AUTH_FAILURES_PER_MINUTE', env.PORTICO_AUTH_FAILURES_PER_MINUTE, 20, 1, 1_000_000),
    inProcessWorker: parseBoolean('PORTICO_IN_PROCESS_WORKER', env.PORTICO_IN_PROCESS_WORKER, true),
    webhookLeaseSeconds: parseInteger('PORTICO_WEBHOOK_LEASE_SECONDS', env.PORTICO_WEBHOOK_LEASE_SECONDS, 60, 1, 3600),
    metricsToken: parseMetricsToken(env.PORTICO_METRICS_TOKEN),
    leakReportKeysFile: env.PORTICO_LEAK_REPORT_KEYS?.trim() || undefined,
    webhooksPerOrg: parseInteger('PORTICO_WEBHOOKS_PER_ORG', env.PORTICO_WEBHOOKS_PER_ORG, 20, 1, 1000),
    mcpAllowedOrigins: (env.PORTICO_MCP_ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    databasePoolSize: parseInteger('PORTICO_DATABASE_POOL_SIZE', env.PORTICO_DATABASE_POOL_SIZE, 10, 1, 1000),
    keepAliveTimeoutSeconds: parseInteger('PORTICO_KEEP_ALIVE_TIMEOUT', env.PORTICO_KEEP_ALIVE_TIMEOUT, 65, 1, 3600),
    shutdownTimeoutSeconds: parseInteger('PORTICO_SHUTDOWN_TIMEOUT', env.PORTICO_SHUTDOWN_TIMEOUT, 10, 2, 600),
    trustProxy: parseTrustProxy(env.PORTICO_TRUST_PROXY),
    smtpUrl: parseSmtpUrl(env.PORTICO_SMTP_URL),
    mailFrom: parseMailFrom(env.PORTICO_MAIL_FROM),
    upstreams: env.PORTICO_UPSTREAMS?.trim() ? { file: path.resolve(env.PORTICO_UPSTREAMS.trim()), secret: (name) => env[name] } : undefined,
  }
}
