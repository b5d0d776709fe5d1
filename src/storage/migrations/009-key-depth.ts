import type { Kysely, Migration } from 'kysely'

/**
 * Metadata and IP allow-lists on keys (JSON text, read with the key on every cache miss), and
 * credits in a table of their own: only keys with a balance have a row, and spending touches a
 * narrow row rather than the key's.
 */
export const keyDepthMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('api_keys').addColumn('meta', 'text').execute()
    await db.schema.alterTable('api_keys').addColumn('allowed_ips', 'text').execute()
    await db.schema
      .createTable('api_key_credits')
      .addColumn('key_id', 'text', (c) => c.primaryKey().references('api_keys.id').onDelete('cascade'))
      .addColumn('remaining', 'integer', (c) => c.notNull())
      // The last refill, or the amount first set: what "running low" is measured against.
      .addColumn('base', 'integer', (c) => c.notNull())
      .addColumn('refill_amount', 'integer')
      .addColumn('refill_interval', 'text')
      // The refill period the balance belongs to (`2026-12-02` daily, `2026-12` monthly).
      .addColumn('period', 'text', (c) => c.notNull())
      // Bumped whenever the balance is set, so a process holding credits taken earlier drops them.
      .addColumn('version', 'integer', (c) => c.notNull())
      // What the last take took: one statement both takes and says how much.
      .addColumn('taken', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute()
  },
}
