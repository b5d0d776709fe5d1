import { createHash } from 'node:crypto'
import { sql, type Kysely } from 'kysely'
import { listTables } from './write-watch.js'

/** One cell of the dump as text: bytes are read as Latin-1 (a secret in a blob is still found) and as UTF-8. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value)
    return `${bytes.toString('latin1')}\n${bytes.toString('utf8')}`
  }
  if (value instanceof Date) return value.toISOString()
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}

export interface DumpedCell {
  table: string
  column: string
  text: string
}

/** Every column of every row of every table, as text. */
export async function dumpDatabase(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<DumpedCell[]> {
  const cells: DumpedCell[] = []
  for (const table of await listTables(db, dialect)) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.id(table)}`.execute(db)
    for (const row of rows.rows) for (const [column, value] of Object.entries(row)) cells.push({ table, column, text: cellText(value) })
  }
  return cells
}

/** A digest of each table's content, order-independent: two snapshots differ exactly where a write stuck. */
export async function snapshotTables(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const table of await listTables(db, dialect)) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.id(table)}`.execute(db)
    const lines = rows.rows.map((row) => Object.entries(row).map(([k, v]) => `${k}=${cellText(v)}`).join('\u0001')).sort()
    out.set(table, `${rows.rows.length}:${createHash('sha256').update(lines.join('\u0000')).digest('hex')}`)
  }
  return out
}

/** Tables whose content differs between two snapshots, less those named in `ignore`. */
export function changedTables(before: Map<string, string>, after: Map<string, string>, ignore: string[] = []): string[] {
  return [...after.keys()].filter((t) => !ignore.includes(t) && before.get(t) !== after.get(t))
}
