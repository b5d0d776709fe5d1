import { createHash, randomBytes } from 'node:crypto'

/** 192 random bits: a signing or direct link is the only credential its holder needs, so it must not be guessable. */
export const newToken = (): string => randomBytes(24).toString('base64url')

/** Only this hash is stored, so a copy of the database hands out no signing rights. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/** Timestamps are stored as ISO text with milliseconds, the same on SQLite and PostgreSQL. */
export const now = (): string => new Date().toISOString()
