import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { AnyDb, TransactionScope } from '../core/context.js'
import type { Notifications } from '../storage/db.js'
import type { KeyCache } from './key-cache.js'

/** The channel names instances listen on: Redis (under the deployment's key prefix), PostgreSQL. */
export const redisKeyCacheChannel = (prefix: string): string => `${prefix}key-cache`
export const DATABASE_KEY_CACHE_CHANNEL = 'portico_key_cache'

/** How long a key read while no channel can carry invalidations stays cached. */
export const UNHEARD_TTL_MS = 1000

/** A broadcast reaching every instance, this one included. */
export interface InvalidationChannel {
  readonly name: string
  /** Sends inside the transaction, delivered when it commits (PostgreSQL); else `publish` runs after the commit. */
  publishIn?(db: AnyDb, message: string): Promise<void>
  publish(message: string): Promise<unknown>
  /** `onReset`: (re)subscribed, so messages may have been missed meanwhile; `onLost`: messages may be missed from now on. */
  subscribe(onMessage: (message: string) => void, onReset: () => void, onLost: () => void): Promise<void>
}

/** Redis pub/sub: one connection publishes, a second (which can do nothing else) subscribes. */
export function redisChannel(publisher: Redis, subscriber: Redis, name: string): InvalidationChannel {
  return {
    name: 'redis',
    publish: (message) => publisher.publish(name, message),
    async subscribe(onMessage, onReset, onLost) {
      subscriber.on('message', (channel: string, message: string) => {
        if (channel === name) onMessage(message)
      })
      // Subscribed again on every connection, and only then counted as listening: ioredis
      // resubscribes by itself too, but says 'ready' before Redis has confirmed it.
      const subscribe = () => subscriber.subscribe(name).then(onReset, onLost)
      subscriber.on('ready', () => void subscribe())
      subscriber.on('close', onLost)
      // Redis down at start-up does not stop it: the subscription is made once Redis is ready.
      if (subscriber.status === 'ready') await subscribe()
    },
  }
}

/** PostgreSQL LISTEN/NOTIFY, inside the changing transaction so it is heard at commit. */
export function databaseChannel(notifications: Notifications, name: string): InvalidationChannel {
  return {
    name: 'postgres',
    publishIn: (db, message) => notifications.notify(name, message, db),
    publish: (message) => notifications.notify(name, message),
    subscribe: (onMessage, onReset, onLost) => notifications.listen(name, onMessage, onReset, onLost),
  }
}

/** Hears the messages that are not about cached keys, and every (re)subscription, after which it should re-read its state. */
export interface InvalidationListener {
  message(message: string): void
  reset(): void
}

/**
 * Drops keys from this process's cache at once and, over every channel there is (Redis pub/sub
 * and PostgreSQL's LISTEN/NOTIFY, each message sent on both), from every other instance's too,
 * so either channel alone keeps the instances in step. While no channel is listening, keys are
 * cached for at most UNHEARD_TTL_MS, and so are those cached already if the database still answers
 * (others may be changing keys); if it does not (the usual reason to lose LISTEN), cached keys keep
 * serving, for the cache TTL at most. Once a channel listens again the cache is emptied, since
 * messages may have been missed. With no channel at all (SQLite), other processes on the same file
 * see a change within the cache TTL.
 */
export class KeyCacheInvalidation {
  readonly #listeners: InvalidationListener[] = []
  #started = false
  #stopped = false
  readonly #listening = new Set<InvalidationChannel>()
  readonly #lost = new Set<InvalidationChannel>()

  constructor(
    private readonly cache: KeyCache,
    private readonly log: Logger,
    private readonly channels: InvalidationChannel[] = [],
    /** Whether the database answers now. */
    private readonly databaseAnswers: () => Promise<boolean> = async () => true,
  ) {}

  /** Once the transaction commits: drop the key here and tell every instance. */
  invalidateKey(tx: TransactionScope, keyId: string): Promise<void> {
    return this.#send(tx, `key:${keyId}`, () => this.cache.invalidateKey(keyId))
  }

  /** Every key of an organisation or reseller (suspension, resumption). */
  invalidateOwner(tx: TransactionScope, ownerId: string): Promise<void> {
    return this.#send(tx, `owner:${ownerId}`, () => this.cache.invalidateOwner(ownerId))
  }

  /** Other state kept in step over the same channels (imported key prefixes); register before start(). */
  listen(listener: InvalidationListener): void {
    this.#listeners.push(listener)
  }

  /** Once the transaction commits: runs `local` here and sends `message` to every instance's listeners. */
  announce(tx: TransactionScope, message: string, local: () => void): Promise<void> {
    return this.#send(tx, message, local)
  }

  /** Told by the database handle: back while nothing is heard, others can change keys again. */
  databaseReachable(up: boolean): void {
    if (up && !this.hearing) this.cache.expireWithin(UNHEARD_TTL_MS)
  }

  async start(): Promise<void> {
    if (this.channels.length === 0 || this.#started) return
    this.#started = true
    // Until a channel says it listens, nothing is heard.
    this.#update()
    const apply = (message: string) => {
      if (message.startsWith('key:')) this.cache.invalidateKey(message.slice(4))
      else if (message.startsWith('owner:')) this.cache.invalidateOwner(message.slice(6))
      else for (const listener of this.#listeners) listener.message(message)
    }
    for (const channel of this.channels) {
      const onReset = () => {
        this.cache.clear()
        for (const listener of this.#listeners) listener.reset()
        if (this.#listening.has(channel)) return
        this.#listening.add(channel)
        if (this.#lost.delete(channel)) this.log.warn({ channel: channel.name }, 'key-cache invalidation: listening again')
        this.#update()
      }
      const onLost = () => {
        if (!this.#listening.delete(channel) || this.#stopped) return
        this.#lost.add(channel)
        this.log.warn({ channel: channel.name }, 'key-cache invalidation: channel lost; the other channel, or a 1 s key cache, covers it meanwhile')
        this.#update()
      }
      // A channel that cannot listen yet (its service is down) keeps trying on its own.
      await channel.subscribe(apply, onReset, onLost).catch((err: unknown) => this.log.warn({ err, channel: channel.name }, 'key-cache invalidation: not listening yet'))
    }
  }

  /** Shutdown: channels closing now are not an outage. */
  stop(): void {
    this.#stopped = true
  }

  /** True while at least one channel listens (or there is none to listen to). */
  get hearing(): boolean {
    return this.channels.length === 0 || this.#listening.size > 0
  }

  #update(): void {
    if (this.hearing) return this.cache.capTtl(undefined)
    this.cache.capTtl(UNHEARD_TTL_MS)
    void this.databaseAnswers().then((answers) => {
      if (answers && !this.hearing) this.cache.expireWithin(UNHEARD_TTL_MS)
    })
  }

  async #send(tx: TransactionScope, message: string, local: () => void): Promise<void> {
    for (const channel of this.channels) if (channel.publishIn) await channel.publishIn(tx.db, message)
    // Not before the commit: a request in between would re-cache the row as it was.
    tx.afterCommit(() => {
      local()
      for (const channel of this.channels) if (!channel.publishIn) this.#publish(channel, message)
    })
  }

  #publish(channel: InvalidationChannel, message: string): void {
    channel.publish(message).catch((err: unknown) => {
      this.log.warn({ err, channel: channel.name }, 'could not broadcast a key-cache invalidation; the other channel or the cache TTL covers it')
    })
  }
}

/**
 * For a process that changes keys without serving requests (the CLI): tells the running instances
 * over Redis, after the change committed. False when Redis did not take it within a couple of
 * seconds (PostgreSQL's channel, sent in the transaction, may still have).
 */
export async function publishOverRedis(url: string, prefix: string, message: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000, commandTimeout: 2000, enableOfflineQueue: false, retryStrategy: () => null })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.publish(redisKeyCacheChannel(prefix), message)
    return true
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}
