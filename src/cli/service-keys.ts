import { parseArgs } from 'node:util'
import type { PorticoConfig } from '../core/config.js'
import type { TransactionScope } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import { isoTimestamp } from '../core/schema.js'
import { allScopes, isScope, type Scope } from '../core/scopes.js'
import { DATABASE_KEY_CACHE_CHANNEL, publishOverRedis } from '../auth/cache-invalidation.js'
import type { KeyInvalidation } from '../keys/key-service.js'
import type { KeyRow } from '../keys/key-store.js'
import type { OwnerInvalidation } from '../resellers/reseller-service.js'
import { builtInModules } from '../server.js'
import { buildServices } from '../services.js'
import type { DatabaseHandle } from '../storage/db.js'
import { operatorTransaction, Refused } from './operator.js'

const SERVICE = { type: 'service' } as const

/**
 * Key-cache invalidation from a process that serves nothing: over PostgreSQL inside the
 * transaction (heard at commit); the messages are sent over Redis once it has committed (`announce`).
 */
function operatorInvalidation(database: DatabaseHandle): KeyInvalidation & OwnerInvalidation & { messages: string[] } {
  const messages: string[] = []
  const send = async (tx: TransactionScope, message: string) => {
    messages.push(message)
    await database.notifications?.notify(DATABASE_KEY_CACHE_CHANNEL, message, tx.db)
  }
  return { messages, invalidateKey: (tx, keyId) => send(tx, `key:${keyId}`), invalidateOwner: (tx, ownerId) => send(tx, `owner:${ownerId}`) }
}

/** Whether running instances were told at once (PostgreSQL's channel, or Redis). */
async function announce(database: DatabaseHandle, config: PorticoConfig, messages: string[]): Promise<boolean> {
  let overRedis = false
  if (config.redisUrl) for (const m of messages) overRedis = (await publishOverRedis(config.redisUrl, config.redisPrefix, m)) || overRedis
  return overRedis || database.notifications !== undefined
}

const keysOf = (database: DatabaseHandle, config: PorticoConfig, invalidation?: KeyInvalidation & OwnerInvalidation) =>
  buildServices({ database, config, modules: builtInModules(), ...(invalidation ? { invalidation } : {}) }).keys

/** A service key (`psk_…`) for the deployment's own backends, minted and audited by the operator. */
export function createServiceKey(database: DatabaseHandle, config: PorticoConfig, name: string, scopes: readonly Scope[] = allScopes) {
  return operatorTransaction(database, null, (tx) => keysOf(database, config).mint(tx, null, SERVICE, { name, scopes: [...scopes], expiresAt: null }))
}

/**
 * `portico service-key create|list|revoke|roll`. `usage` reports a mistake in how it was called
 * (exit 64); a key that is not a service key's is refused (exit 1).
 */
export async function serviceKeyCommand(
  sub: 'create' | 'list' | 'revoke' | 'roll',
  args: string[],
  config: PorticoConfig,
  withMigrated: (fn: (database: DatabaseHandle) => Promise<number>) => Promise<number>,
  out: (line: string) => void,
  usage: (message: string) => never,
): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: { name: { type: 'string' }, scopes: { type: 'string' }, 'grace-period': { type: 'string' } } })
  } catch (error) {
    usage(`portico service-key ${sub}: ${(error instanceof Error ? error.message : String(error)).split(/\. |\n/)[0]!.replace(/\.$/, '')}`)
  }
  const { values, positionals } = parsed
  const name = values.name?.trim()
  const id = positionals[0]?.trim()
  if (sub === 'create' && !name) usage('portico service-key create: --name is required')
  if ((sub === 'revoke' || sub === 'roll') && !id) usage(`portico service-key ${sub}: the key's id is required (see service-key list)`)
  const scopes = values.scopes === undefined ? [...allScopes] : values.scopes.split(',').map((s) => s.trim())
  if (scopes.length === 0 || scopes.some((s) => !isScope(s))) usage(`portico service-key create: --scopes takes a comma-separated list of ${allScopes.join(', ')}`)
  const grace = values['grace-period'] === undefined ? 0 : Number(values['grace-period'])
  if (!Number.isInteger(grace) || grace < 0 || grace > 604_800) usage('portico service-key roll: --grace-period is whole seconds, 0 … 604800')

  return withMigrated(async (database) => {
    switch (sub) {
      case 'create': {
        const { row, key } = await createServiceKey(database, config, name!, scopes as Scope[])
        out(`service key: ${row.id} (${row.name})`)
        out(`service key (shown once, store it now): ${key}`)
        return 0
      }
      case 'list': {
        const rows = await keysOf(database, config).store.listAll(SERVICE)
        out(['id', 'name', 'prefix', 'created_at', 'revoked_at'].join('\t'))
        for (const r of rows) out([r.id, r.name, r.prefix, isoTimestamp(r.created_at), isoTimestamp(r.revoked_at) ?? '-'].join('\t'))
        return 0
      }
      case 'revoke':
      case 'roll': {
        const invalidation = operatorInvalidation(database)
        const keys = keysOf(database, config, invalidation)
        let result: { row: KeyRow; key?: string }
        try {
          result = await operatorTransaction<{ row: KeyRow; key?: string }>(database, null, async (tx) =>
            sub === 'revoke' ? { row: await keys.revoke(tx, SERVICE, id!) } : keys.roll(tx, null, SERVICE, id!, grace),
          )
        } catch (error) {
          if (!(error instanceof ApiError)) throw error
          throw new Refused(error.code === 'not_found' ? `no service key ${id}` : error.message)
        }
        if (result.key) {
          out(`service key: ${result.row.id} (${result.row.name}), replacing ${id}${grace ? ` (which stops in ${grace} s)` : ' (revoked now)'}`)
          out(`service key (shown once, store it now): ${result.key}`)
        } else {
          out(`service key: ${result.row.id} (${result.row.name}) revoked at ${isoTimestamp(result.row.revoked_at)}`)
        }
        if (!(await announce(database, config, invalidation.messages))) out('running instances see it within PORTICO_KEY_CACHE_TTL (no Redis or PostgreSQL to tell them now)')
        return 0
      }
    }
  })
}
