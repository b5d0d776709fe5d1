import type { Logger } from 'pino'
import type { TransactionScope } from '../core/context.js'
import { checksumMatches, KEY_MAX_LENGTH, parseKeyShape } from '../keys/key-format.js'
import type { CoreDb } from '../storage/db.js'
import type { KeyCacheInvalidation } from './cache-invalidation.js'

/** Imported prefixes are at least this long (the import refuses shorter ones). */
const HEAD = 4

/** The longest plaintext of an imported key that is hashed and looked up. */
export const IMPORTED_KEY_MAX_LENGTH = 512

/**
 * The display prefixes of imported keys, held in memory. A token that fails Portico's offline
 * format check is looked up in the database only when it starts with one of them (and is no
 * longer than IMPORTED_KEY_MAX_LENGTH), so random strings are still refused without a query.
 * A check first looks up the token's first four characters among the prefixes' (most tokens
 * that are no key stop there); then prefixes are grouped by length: one slice and one set look-up
 * per distinct length, not one per imported key.
 */
export class ImportedPrefixes {
  readonly #byLength = new Map<number, Set<string>>()
  #lengths: number[] = []
  /** The first HEAD characters of every prefix: most tokens that are no key are refused on this one look-up. */
  readonly #heads = new Set<string>()
  /** A prefix shorter than HEAD was added (the API refuses them; a hand-made row might not): no head check. */
  #short = false

  get size(): number {
    let n = 0
    for (const set of this.#byLength.values()) n += set.size
    return n
  }

  add(prefix: string): void {
    let set = this.#byLength.get(prefix.length)
    if (!set) {
      this.#byLength.set(prefix.length, (set = new Set()))
      this.#lengths = [...this.#byLength.keys()].sort((a, b) => a - b)
    }
    set.add(prefix)
    if (prefix.length < HEAD) this.#short = true
    else this.#heads.add(prefix.slice(0, HEAD))
  }

  /** Whether `token` may be an imported key: it starts with a remembered prefix. */
  matches(token: string): boolean {
    if (token.length > IMPORTED_KEY_MAX_LENGTH || this.#lengths.length === 0) return false
    if (!this.#short && !this.#heads.has(token.slice(0, HEAD))) return false
    for (const length of this.#lengths) {
      if (length > token.length) break
      if (this.#byLength.get(length)!.has(token.slice(0, length))) return true
    }
    return false
  }

  /** Reads every imported prefix (start-up, and whenever invalidations may have been missed). */
  async load(db: CoreDb): Promise<void> {
    const rows = await db.selectFrom('imported_key_prefixes').select('prefix').execute()
    for (const row of rows) this.add(row.prefix)
  }
}

const MESSAGE = 'import:'
/** PostgreSQL's NOTIFY payloads stay under 8,000 bytes: long lists go as several messages. */
const MESSAGE_BYTES = 7000

/**
 * Keeps every instance's prefixes current: an import announces its prefixes over the key-cache
 * invalidation channels (Redis, PostgreSQL), and an instance that may have missed messages (a
 * channel resubscribed) reads them all again. `refresh` is for deployments without a channel
 * (several processes on one SQLite file): it re-reads the table.
 */
export function syncImportedPrefixes(
  prefixes: ImportedPrefixes,
  invalidation: Pick<KeyCacheInvalidation, 'listen' | 'announce'>,
  db: CoreDb,
  log: Logger,
): { announce(tx: TransactionScope, added: string[]): Promise<void>; refresh(): Promise<void> } {
  const refresh = () => prefixes.load(db).catch((err: unknown) => log.warn({ err }, 'could not read imported key prefixes; retried on the next refresh'))
  invalidation.listen({
    message(message) {
      if (message.startsWith(MESSAGE)) for (const p of message.slice(MESSAGE.length).split('\n')) if (p) prefixes.add(p)
    },
    reset: () => void refresh(),
  })
  return {
    async announce(tx, added) {
      const batches: string[][] = [[]]
      let bytes = 0
      for (const p of new Set(added)) {
        if (bytes + p.length + 1 > MESSAGE_BYTES) {
          batches.push([])
          bytes = 0
        }
        batches.at(-1)!.push(p)
        bytes += p.length + 1
      }
      for (const batch of batches) if (batch.length) await invalidation.announce(tx, MESSAGE + batch.join('\n'), () => batch.forEach((p) => prefixes.add(p)))
    },
    refresh,
  }
}

/**
 * Whether a token could be one of this deployment's keys, decided offline as authentication does:
 * Portico's format with one of its prefixes and a valid checksum, or an imported key's prefix.
 */
export function couldBeKey(prefixes: { org: string; reseller: string }, imported: ImportedPrefixes): (token: string) => boolean {
  return (token) => {
    const shape = token.length <= KEY_MAX_LENGTH ? parseKeyShape(token) : null
    if (shape && (shape.prefix === prefixes.org || shape.prefix === prefixes.reseller) && checksumMatches(shape)) return true
    return imported.matches(token)
  }
}
