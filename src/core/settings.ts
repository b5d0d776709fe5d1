import { ConfigError, loadConfig, type PorticoConfig } from './config.js'
import type { LimitClassSpec } from './module.js'

/**
 * Configuration given in code (`createPortico({ config })`): each setting stands for one
 * environment variable and is validated exactly as that variable is. Unset settings leave the
 * environment's value (or the default) in place.
 */
export interface PorticoSettings {
  /** PORT (3000); 0 picks a free port. */
  port?: number
  /** HOST (127.0.0.1). */
  host?: string
  /** DATABASE_URL: `file:<path>` for SQLite (`file:./data/portico.db`) or `postgres://…`. */
  databaseUrl?: string
  /** REDIS_URL: rate-limit counters and key-cache invalidation shared by every instance. */
  redisUrl?: string
  /** PORTICO_REDIS_PREFIX (`portico:`). */
  redisPrefix?: string
  /** PORTICO_KEY_PREFIX (`ptk`). */
  keyPrefix?: string
  /** PORTICO_RESELLER_KEY_PREFIX (`rsk`). */
  resellerKeyPrefix?: string
  /** PORTICO_SERVICE_KEY_PREFIX (`psk`). */
  serviceKeyPrefix?: string
  /** PORTICO_WEBHOOKS_ALLOW_PRIVATE (false): webhook URLs on private or loopback addresses. */
  webhooksAllowPrivate?: boolean
  /** PORTICO_PUBLIC_URL: the address people and clients reach Portico at, for links. */
  publicUrl?: string
  /** LOG_LEVEL (`info`). */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** PORTICO_CHECK_OUTPUT (false): validate every answer against its output schema (tests); off, answers are projected onto it. */
  checkOutput?: boolean
  /** PORTICO_TURN_BATCHING (true): REST answers the requests read in one event-loop turn together, in its check phase. */
  turnBatching?: boolean
  /** PORTICO_RATE_LIMITS: classes that add to or replace the defaults and the modules' own. */
  rateLimits?: LimitClassSpec[]
  /** PORTICO_RATE_LIMIT_FAIL_OPEN (true): keep serving with in-process counters while Redis is away. */
  rateLimitFailOpen?: boolean
  /** PORTICO_KEY_CACHE_TTL (30). */
  keyCacheTtlSeconds?: number
  /** PORTICO_AUTH_FAILURES_PER_MINUTE (20). */
  authFailuresPerMinute?: number
  /** PORTICO_IN_PROCESS_WORKER (true): run the webhook dispatcher in this process. */
  inProcessWorker?: boolean
  /** PORTICO_WEBHOOK_LEASE_SECONDS (60). */
  webhookLeaseSeconds?: number
  /** PORTICO_MCP_ALLOWED_ORIGINS: browser origins allowed to call /mcp. */
  mcpAllowedOrigins?: string[]
  /**
   * PORTICO_TRUST_PROXY (0): the proxies in front of Portico. The client address is the N-th
   * `X-Forwarded-For` entry from the right (`true` is one proxy); 0 or `false`, the socket's.
   */
  trustProxy?: boolean | number
  /** PORTICO_DATABASE_POOL_SIZE (10): PostgreSQL connections this process may hold. */
  databasePoolSize?: number
  /** PORTICO_KEEP_ALIVE_TIMEOUT (65): seconds an idle keep-alive connection stays open. */
  keepAliveTimeoutSeconds?: number
  /** PORTICO_SHUTDOWN_TIMEOUT (10): seconds close() gives in-flight work before it is cut. */
  shutdownTimeoutSeconds?: number
  /** PORTICO_METRICS_TOKEN: the bearer token `/metrics` asks for; unset, `/metrics` is not served. */
  metricsToken?: string
  /** PORTICO_WEBHOOKS_PER_ORG (20): webhook endpoints one organisation may have. */
  webhooksPerOrg?: number
  /** PORTICO_SMTP_URL: `smtp://user:password@host:587` or `smtps://…`; unset, Portico sends no e-mail. */
  smtpUrl?: string
  /** PORTICO_MAIL_FROM (`Portico <portico@localhost>`): the sender of that e-mail. */
  mailFrom?: string
  /** PORTICO_LEAK_REPORT_KEYS: a JSON file of the secret scanner's public keys; unset, leak reports are not accepted. */
  leakReportKeys?: string
  /** PORTICO_UPSTREAMS: the upstreams file of the services Portico forwards to (their secrets stay in the environment). */
  upstreams?: string
}

/** The environment variable behind each setting. */
export const settingVariables = {
  port: 'PORT',
  host: 'HOST',
  databaseUrl: 'DATABASE_URL',
  redisUrl: 'REDIS_URL',
  redisPrefix: 'PORTICO_REDIS_PREFIX',
  keyPrefix: 'PORTICO_KEY_PREFIX',
  resellerKeyPrefix: 'PORTICO_RESELLER_KEY_PREFIX',
  serviceKeyPrefix: 'PORTICO_SERVICE_KEY_PREFIX',
  webhooksAllowPrivate: 'PORTICO_WEBHOOKS_ALLOW_PRIVATE',
  publicUrl: 'PORTICO_PUBLIC_URL',
  logLevel: 'LOG_LEVEL',
  checkOutput: 'PORTICO_CHECK_OUTPUT',
  turnBatching: 'PORTICO_TURN_BATCHING',
  rateLimits: 'PORTICO_RATE_LIMITS',
  rateLimitFailOpen: 'PORTICO_RATE_LIMIT_FAIL_OPEN',
  keyCacheTtlSeconds: 'PORTICO_KEY_CACHE_TTL',
  authFailuresPerMinute: 'PORTICO_AUTH_FAILURES_PER_MINUTE',
  inProcessWorker: 'PORTICO_IN_PROCESS_WORKER',
  webhookLeaseSeconds: 'PORTICO_WEBHOOK_LEASE_SECONDS',
  mcpAllowedOrigins: 'PORTICO_MCP_ALLOWED_ORIGINS',
  trustProxy: 'PORTICO_TRUST_PROXY',
  databasePoolSize: 'PORTICO_DATABASE_POOL_SIZE',
  keepAliveTimeoutSeconds: 'PORTICO_KEEP_ALIVE_TIMEOUT',
  shutdownTimeoutSeconds: 'PORTICO_SHUTDOWN_TIMEOUT',
  metricsToken: 'PORTICO_METRICS_TOKEN',
  webhooksPerOrg: 'PORTICO_WEBHOOKS_PER_ORG',
  smtpUrl: 'PORTICO_SMTP_URL',
  mailFrom: 'PORTICO_MAIL_FROM',
  leakReportKeys: 'PORTICO_LEAK_REPORT_KEYS',
  upstreams: 'PORTICO_UPSTREAMS',
} as const satisfies Record<keyof PorticoSettings, string>

type Setting = keyof PorticoSettings

function isSetting(name: string): name is Setting {
  return Object.hasOwn(settingVariables, name)
}

/** A setting as its variable would spell it; a value of the wrong kind is named like a bad variable. */
function asVariable(setting: Setting, value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (typeof value === 'number') return String(value)
  if (setting === 'mcpAllowedOrigins' && Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(',')
  if (setting === 'rateLimits' && Array.isArray(value)) {
    return value.map((c: Partial<LimitClassSpec>) => `${c?.name}=${c?.limit}/${c?.windowSeconds}`).join(',')
  }
  throw new ConfigError(`config.${setting}`, `unexpected ${Array.isArray(value) ? 'array' : typeof value}`)
}

/**
 * The environment with the settings laid over it, then validated by `loadConfig`; an error in a
 * setting names the setting and its variable (`config.port (PORT): …`).
 */
export function loadConfigWith(env: Record<string, string | undefined>, settings: PorticoSettings = {}): PorticoConfig {
  const merged = { ...env }
  const given = new Map<string, Setting>()
  for (const [name, value] of Object.entries(settings)) {
    if (!isSetting(name)) throw new ConfigError(`config.${name}`, `is not a setting; expected one of ${Object.keys(settingVariables).join(', ')}`)
    if (value === undefined) continue
    merged[settingVariables[name]] = asVariable(name, value)
    given.set(settingVariables[name], name)
  }
  try {
    return loadConfig(merged)
  } catch (error) {
    const setting = error instanceof ConfigError ? given.get(error.variable) : undefined
    if (!setting || !(error instanceof ConfigError)) throw error
    throw new ConfigError(`config.${setting} (${error.variable})`, error.detail)
  }
}
