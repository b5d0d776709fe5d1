import type { Kysely, Migration } from 'kysely'

/** Requests per key per UTC day by outcome class, written in batches, never per request. */
export const usageMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('usage_daily')
      .addColumn('org_id', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('day', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('usage_daily_pk', ['org_id', 'key_id', 'day', 'outcome'])
      .execute()
  },
}
