import { Migrator, PostgresAdapter, sql, type Migration, type MigrationProvider } from 'kysely'
import type { AnyDb } from '../core/context.js'

/** Collects Portico's own migrations and those of every mounted module into one ordered set. */
export class CombinedMigrationProvider implements MigrationProvider {
  constructor(private readonly sets: Record<string, Migration>[]) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const all: Record<string, Migration> = {}
    for (const set of this.sets) {
      for (const [name, migration] of Object.entries(set)) {
        if (all[name]) throw new Error(`migration "${name}" declared twice`)
        all[name] = migration
      }
    }
    return all
  }
}

/**
 * Migrations already applied by a module that is not mounted now (say, the example product turned
 * off with PORTICO_EXAMPLE=0) are kept as no-ops: their tables stay, and start-up does not fail.
 */
async function appliedElsewhere(db: AnyDb, known: Set<string>): Promise<Record<string, Migration>> {
  try {
    const rows = (await db.selectFrom('kysely_migration').select('name').execute()) as { name: string }[]
    return Object.fromEntries(rows.filter((r) => !known.has(r.name)).map((r) => [r.name, { up: async () => {} }]))
  } catch {
    return {} // a new database: nothing applied yet
  }
}

/**
 * On PostgreSQL the migrator's own tables are pinned to the connection's current schema: otherwise
 * it looks them up across every schema and, finding another schema's, skips creating its own.
 */
async function migrationSchema(db: AnyDb): Promise<string | undefined> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return undefined
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db)
  return rows[0]?.schema
}

/**
 * Kysely's migrator looks for its tables across every schema of the database, by name; a schema
 * another deployment (or test run) drops meanwhile makes that look-up fail with 3F000
 * invalid_schema_name, or 42P01 undefined_table for a table of it, before anything was migrated,
 * so it is simply tried again (a migration that itself fails so fails as often, and is thrown).
 */
export async function migrateToLatest(db: AnyDb, sets: Record<string, Migration>[]): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(db, sets)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if ((code !== '3F000' && code !== '42P01') || attempt === 5) throw error
      await new Promise((r) => setTimeout(r, 50 * attempt))
    }
  }
}

async function migrateOnce(db: AnyDb, sets: Record<string, Migration>[]): Promise<string[]> {
  const known = new Set(sets.flatMap((set) => Object.keys(set)))
  const schema = await migrationSchema(db)
  const migrator = new Migrator({
    db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: new CombinedMigrationProvider([...sets, await appliedElsewhere(db, known)]),
    // Modules add their own migrations over time; they need not sort after every one already run.
    allowUnorderedMigrations: true,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error(String(error))
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
