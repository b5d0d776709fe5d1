import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { KeyCache } from './key-cache.js'

/**
 * Drops keys from this process's cache at once, and — with Redis — from every other instance's
 * too, over pub/sub. Without Redis, other processes see a change within the cache TTL.
 */
export class KeyCacheInvalidation {
  #subscriber: Redis | undefined

  constructor(
    private readonly cache: KeyCache,
    private readonly log: Logger,
    private readonly shared?: { publisher: Redis; subscriber: Redis; channel: string },
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
    if (!this.shared || this.#subscriber) return
    const { subscriber, channel } = this.shared
    this.#subscriber = subscriber
    subscriber.on('message', (_channel: string, message: string) => {
      if (message.startsWith('key:')) this.cache.invalidateKey(message.slice(4))
      else if (message.startsWith('owner:')) this.cache.invalidateOwner(message.slice(6))
    })
    // A subscriber that reconnects resubscribes, but messages sent meanwhile are lost: start afresh.
    subscriber.on('ready', () => this.cache.clear())
    await subscriber.subscribe(channel)
  }

  #publish(message: string): void {
    if (!this.shared) return
    this.shared.publisher.publish(this.shared.channel, message).catch((err: unknown) => {
      this.log.warn({ err }, 'could not broadcast a key-cache invalidation; other instances see it within the cache TTL')
    })
  }
}
