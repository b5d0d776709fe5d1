import { Migrator, type Migration, type MigrationProvider } from 'kysely'
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

export async function migrateToLatest(db: AnyDb, sets: Record<string, Migration>[]): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new CombinedMigrationProvider(sets),
    // Modules add their own migrations over time; they need not sort after every one already run.
    allowUnorderedMigrations: true,
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error(String(error))
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
