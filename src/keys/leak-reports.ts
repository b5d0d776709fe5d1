import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import fs from 'node:fs'
import { ConfigError } from '../core/config.js'
import type { RequestMeta } from '../core/context.js'
import { z } from '../core/schema.js'
import { runInTransaction, type TransactionDeps } from '../core/transaction.js'
import { hashKey } from './key-format.js'
import { KeySchema, toKeyView } from './key-schema.js'
import type { KeyService } from './key-service.js'
import type { KeyOwner } from './key-store.js'

export const LEAK_REPORT_VARIABLE = 'PORTICO_LEAK_REPORT_KEYS'
/** Tokens in one report; GitHub sends far fewer at a time. */
export const LEAK_REPORT_MAX = 1000
/** How often an unknown key identifier may make the keys file be read again (a rotation at the scanner). */
const RELOAD_AFTER_MS = 60_000

const KeysFile = z.object({
  public_keys: z
    .array(z.object({ key_identifier: z.string().min(1).max(512), key: z.string().min(1).max(10_000) }).loose())
    .min(1),
})

/**
 * The scanner's public keys, from the JSON file PORTICO_LEAK_REPORT_KEYS names, in the shape
 * GitHub's secret-scanning public-key endpoint answers. A signature names its key by identifier;
 * an identifier not in the file makes it be read again (at most once a minute), so a rotated key
 * is picked up without a restart.
 */
export class ScanningKeys {
  #keys = new Map<string, KeyObject>()
  #readAt = 0

  constructor(private readonly file: string) {
    this.#keys = this.#read()
  }

  #read(): Map<string, KeyObject> {
    this.#readAt = Date.now()
    let parsed: z.infer<typeof KeysFile>
    try {
      parsed = KeysFile.parse(JSON.parse(fs.readFileSync(this.file, 'utf8')))
    } catch (error) {
      const why = error instanceof z.ZodError ? 'expected {"public_keys": [{"key_identifier", "key"}, …]}' : (error as Error).message
      throw new ConfigError(LEAK_REPORT_VARIABLE, `cannot read ${this.file}: ${why}`)
    }
    const keys = new Map<string, KeyObject>()
    for (const entry of parsed.public_keys) {
      try {
        const key = createPublicKey(entry.key)
        if (key.asymmetricKeyType !== 'ec') throw new Error('not an ECDSA key')
        keys.set(entry.key_identifier, key)
      } catch (error) {
        throw new ConfigError(LEAK_REPORT_VARIABLE, `key ${entry.key_identifier} in ${this.file} is not an ECDSA public key in PEM (${(error as Error).message})`)
      }
    }
    return keys
  }

  #key(identifier: string): KeyObject | undefined {
    const key = this.#keys.get(identifier)
    if (key || Date.now() - this.#readAt < RELOAD_AFTER_MS) return key
    try {
      this.#keys = this.#read()
    } catch {
      this.#readAt = Date.now() // keep the keys read before; the next unknown identifier tries again later
    }
    return this.#keys.get(identifier)
  }

  /** ECDSA (P-256) with SHA-256 over the raw body; the signature is base64 of its DER encoding. */
  verify(identifier: string, signature: string, body: Uint8Array): boolean {
    const key = this.#key(identifier)
    if (!key || !/^[A-Za-z0-9+/=\s]{1,1024}$/.test(signature)) return false
    try {
      return verify('sha256', body, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'))
    } catch {
      return false
    }
  }
}

/** GitHub's secret-scanning partner format: a JSON array of found tokens. */
export const LeakReportBody = z
  .array(
    z.object({
      token: z.string().min(1).max(1024),
      type: z.string().max(200).default(''),
      url: z.string().max(2048).nullish(),
      source: z.string().max(200).nullish(),
    }),
  )
  .max(LEAK_REPORT_MAX)

export type LeakReportEntry = z.infer<typeof LeakReportBody>[number]

export interface LeakLabel {
  token_raw: string
  token_type: string
  label: 'true_positive' | 'false_positive'
}

export const LeakedEventSchema = z.object({
  key: KeySchema,
  token_type: z.string().openapi({ description: 'What the scanner called the token.' }),
  url: z.string().nullable().openapi({ description: 'Where the key was found (a commit, an issue, a gist…), as the scanner reported it.' }),
  source: z.string().nullable().openapi({ description: 'The kind of place it was found, as the scanner reported it (`content`, `commit`, …).' }),
})

/**
 * Revokes every reported token that is one of Portico's keys (an organisation's, a reseller's or an
 * imported one), at once, with reason `leaked`: audited, and an `api_key.leaked` event to the
 * organisation. Tokens are matched by their SHA-256 after the same offline check authentication
 * makes, so random strings never reach the database. Neither the token nor its hash is logged.
 */
export class LeakReports {
  constructor(
    private readonly keys: KeyService,
    private readonly tx: TransactionDeps,
    /** Whether a token could be a key at all: Portico's format and checksum, or an imported prefix. */
    private readonly mayBeKey: (token: string) => boolean,
  ) {}

  async report(entries: LeakReportEntry[], meta: RequestMeta): Promise<LeakLabel[]> {
    const labels: LeakLabel[] = []
    const handled = new Set<string>()
    for (const entry of entries) {
      const found = this.mayBeKey(entry.token) ? await this.keys.store.findByHash(hashKey(entry.token)) : undefined
      labels.push({ token_raw: entry.token, token_type: entry.type, label: found ? 'true_positive' : 'false_positive' })
      if (!found || handled.has(found.id)) continue
      handled.add(found.id)
      const owner: KeyOwner = found.owner_type === 'org' ? { type: 'org', orgId: found.org_id! } : { type: 'reseller', resellerId: found.reseller_id! }
      await runInTransaction(this.tx, null, meta, found.org_id, async (tx) => {
        const row = await this.keys.revoke(tx, owner, found.id, 'leaked')
        const where = { token_type: entry.type, url: entry.url ?? null, source: entry.source ?? null }
        await tx.audit({
          action: 'api_key.leaked',
          targetType: 'api_key',
          targetId: row.id,
          details: { prefix: row.prefix, reported_by: 'secret scanning', ...(found.reseller_id ? { reseller_id: found.reseller_id } : {}), ...where },
        })
        if (found.org_id) await tx.emit('api_key.leaked', { key: toKeyView(row), ...where })
      })
    }
    return labels
  }

}
