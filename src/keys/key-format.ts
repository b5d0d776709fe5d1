import { hash, randomBytes } from 'node:crypto'
import { crc32 } from 'node:zlib'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
export const RANDOM_LENGTH = 42
export const CHECKSUM_LENGTH = 6
export const BODY_LENGTH = RANDOM_LENGTH + CHECKSUM_LENGTH
const DISPLAY_BODY_CHARS = 8
const KEY_SHAPE = /^([a-z][a-z0-9]{1,15})_([0-9A-Za-z]{48})$/
/** The longest string KEY_SHAPE accepts: a 16-character prefix, `_` and the body. */
export const KEY_MAX_LENGTH = 16 + 1 + BODY_LENGTH

/** Uniform base62 characters by rejection sampling (bytes ≥ 248 would bias the modulo). */
function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += ALPHABET[byte % 62]
      if (out.length === length) break
    }
  }
  return out
}

export function base62(value: number, width: number): string {
  let n = value
  let out = ''
  do {
    out = ALPHABET[n % 62] + out
    n = Math.floor(n / 62)
  } while (n > 0)
  return out.padStart(width, '0')
}

/** CRC32 (IEEE) of `prefix_` + the random part, in base62, six characters. */
export function checksum(prefix: string, random: string): string {
  return base62(crc32(`${prefix}_${random}`) >>> 0, CHECKSUM_LENGTH)
}

/** One-shot SHA-256 (no Hash object per call): this runs on every authenticated request. */
export function hashKey(key: string): string {
  return hash('sha256', key, 'hex')
}

/**
 * The same SHA-256 as raw bytes in a 32-character string: what the in-memory key cache is keyed
 * by, half the characters of the hex form for its map look-up to hash. `digestToHash` turns it into
 * the hex form stored in the database.
 */
export function keyDigest(key: string): string {
  return hash('sha256', key, 'binary')
}

export function digestToHash(digest: string): string {
  return Buffer.from(digest, 'latin1').toString('hex')
}

export function hashToDigest(hex: string): string {
  return Buffer.from(hex, 'hex').toString('latin1')
}

export interface MintedKey {
  /** The full key: returned once to the caller, never stored or logged. */
  key: string
  hash: string
  displayPrefix: string
}

export function generateKey(prefix: string): MintedKey {
  const random = randomBase62(RANDOM_LENGTH)
  const key = `${prefix}_${random}${checksum(prefix, random)}`
  return { key, hash: hashKey(key), displayPrefix: displayPrefixOf(key) }
}

export function displayPrefixOf(key: string): string {
  const at = key.indexOf('_')
  return key.slice(0, at + 1 + DISPLAY_BODY_CHARS)
}

export interface ParsedKey {
  prefix: string
  hash: string
  displayPrefix: string
}

export interface KeyShape {
  prefix: string
  body: string
}

/** `prefix_` + 48 base62 characters, or null. */
export function parseKeyShape(key: string): KeyShape | null {
  const match = KEY_SHAPE.exec(key)
  return match ? { prefix: match[1]!, body: match[2]! } : null
}

export function checksumMatches(shape: KeyShape): boolean {
  return checksum(shape.prefix, shape.body.slice(0, RANDOM_LENGTH)) === shape.body.slice(RANDOM_LENGTH)
}

/** Checks shape and checksum offline; null for anything that cannot be a real key. */
export function parseKey(key: string): ParsedKey | null {
  const shape = parseKeyShape(key)
  if (!shape || !checksumMatches(shape)) return null
  return { prefix: shape.prefix, hash: hashKey(key), displayPrefix: displayPrefixOf(key) }
}
