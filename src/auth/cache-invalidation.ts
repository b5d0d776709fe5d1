import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Notifications } from '../storage/db.js'
import type { KeyCache } from './key-cache.js'

/** The channel names instances listen on: Redis (under the deployment's key prefix), PostgreSQL. */
export const redisKeyCacheChannel = (prefix: string): string => `${prefix}key-cache`
export const DATABASE_KEY_CACHE_CHANNEL = 'portico_key_cache'

/** A broadcast reaching every instance, this one included. */
export interface InvalidationChannel {
  publish(message: string): Promise<unknown>
  /** `onReset`: (re)connected, so messages may have been missed meanwhile. */
  subscribe(onMessage: (message: string) => void, onReset: () => void): Promise<void>
}

/** Redis pub/sub: one connection publishes, a second (which can do nothing else) subscribes. */
export function redisChannel(publisher: Redis, subscriber: Redis, name: string): InvalidationChannel {
  return {
    publish: (message) => publisher.publish(name, message),
    async subscribe(onMessage, onReset) {
      subscriber.on('message', (channel: string, message: string) => {
        if (channel === name) onMessage(message)
      })
      // A subscriber that reconnects resubscribes, but messages sent meanwhile are lost.
      subscriber.on('ready', onReset)
      await subscriber.subscribe(name)
    },
  }
}

/** PostgreSQL LISTEN/NOTIFY, for instances that share a database but no Redis. */
export function databaseChannel(notifications: Notifications, name: string): InvalidationChannel {
  return {
    publish: (message) => notifications.notify(name, message),
    subscribe: (onMessage, onReset) => notifications.listen(name, onMessage, onReset),
  }
}

/**
 * Drops keys from this process's cache at once and, over a channel (Redis, or PostgreSQL's
 * LISTEN/NOTIFY), from every other instance's too. With neither (SQLite), other processes on the
 * same file see a change within the cache TTL.
 */
export class KeyCacheInvalidation {
  #started = false

  constructor(
    private readonly cache: KeyCache,
    private readonly log: Logger,
    private readonly channel?: InvalidationChannel,
  ) {}

  invalidateKey(keyId: string): void {
    this.cache.invalidateKey(keyId)
    this.#publish(`key:${keyId}`)
  }

  /** Every key of an organisation or reseller (suspension, resumption). */
  invalidateOwner(ownerId: string): void {
    this.cache.invalidateOwner(ownerId)
    this.#publish(`owner:${ownerId}`)
  }

  async start(): Promise<void> {
    if (!this.channel || this.#started) return
    this.#started = true
    await this.channel.subscribe(
      (message) => {
        if (message.startsWith('key:')) this.cache.invalidateKey(message.slice(4))
        else if (message.startsWith('owner:')) this.cache.invalidateOwner(message.slice(6))
      },
      () => this.cache.clear(),
    )
  }

  #publish(message: string): void {
    this.channel?.publish(message).catch((err: unknown) => {
      this.log.warn({ err }, 'could not broadcast a key-cache invalidation; other instances see it within the cache TTL')
    })
  }
}

/**
 * For a process that changes keys without serving requests (the CLI): tells the running instances
 * to drop cached rows, over Redis when configured, else over the database. False when neither can
 * carry it (SQLite), where instances see the change within the cache TTL.
 */
export async function broadcastInvalidation(message: string, options: { redisUrl?: string | undefined; redisPrefix: string; notifications?: Notifications | undefined }): Promise<boolean> {
  if (options.redisUrl) {
    const client = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
    try {
      await client.connect()
      await client.publish(redisKeyCacheChannel(options.redisPrefix), message)
      return true
    } finally {
      client.disconnect()
    }
  }
  if (!options.notifications) return false
  await options.notifications.notify(DATABASE_KEY_CACHE_CHANNEL, message)
  return true
}
