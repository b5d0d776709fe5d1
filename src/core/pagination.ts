import { sql, type Expression, type SqlBool } from 'kysely'
import { ApiError } from './errors.js'
import { z } from './schema.js'

export const PaginationQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: 'Page size, 1–100.' }),
  cursor: z.string().max(200).optional().openapi({ description: '`next_cursor` from the previous page.' }),
})

export function page<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() })
}

/** A position in a list ordered by (created_at desc, id desc). */
export interface Cursor {
  createdAt: string
  id: string
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url')
}

export function decodeCursor(value: string | undefined): Cursor | undefined {
  if (value === undefined) return undefined
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'))
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
      return { createdAt: parsed[0], id: parsed[1] }
    }
  } catch {
    // fall through to the validation error
  }
  throw new ApiError('validation_error', 'cursor is not a cursor this API returned', { fields: { cursor: 'is invalid' } })
}

/** Given `limit + 1` rows, returns the page and the cursor of the next one. */
export function toPage<R extends { created_at: string; id: string }, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
): { data: T[]; next_cursor: string | null } {
  const more = rows.length > limit
  const pageRows = more ? rows.slice(0, limit) : rows
  const last = pageRows.at(-1)
  return {
    data: pageRows.map((row) => map(row)),
    next_cursor: more && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
  }
}

/**
 * Keyset condition for the page after `cursor` in (created_at desc, id desc) order: a row-value
 * comparison, which SQLite and PostgreSQL both evaluate with the (…, created_at, id) index.
 */
export function beforeCursor(cursor: Cursor, columns: [string, string] = ['created_at', 'id']): Expression<SqlBool> {
  return sql<SqlBool>`(${sql.ref(columns[0])}, ${sql.ref(columns[1])}) < (${cursor.createdAt}, ${cursor.id})`
}
