import type { Kysely, Migration } from 'kysely'

/**
 * Imported keys, leak revocations and key notices.
 * - `api_keys.imported_at`: set on keys imported from another system (their plaintext has no
 *   Portico format or checksum); `api_keys.revoked_reason`: why a key was revoked when Portico
 *   did it on its own (`leaked`).
 * - `imported_key_prefixes`: every display prefix ever imported, small enough to hold in memory,
 *   so only tokens starting with one are looked up after failing the offline format check.
 * - `key_notices`: one row per notice sent about a key (`expiring_7d`, `expiring_1d`, `expired`,
 *   `credits_low:…`); its primary key makes each notice go out once, however many workers scan.
 */
export const keyImportNoticesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('api_keys').addColumn('imported_at', 'text').execute()
    await db.schema.alterTable('api_keys').addColumn('revoked_reason', 'text').execute()
    await db.schema.createIndex('api_keys_expires_at').on('api_keys').column('expires_at').execute()
    await db.schema
      .createTable('imported_key_prefixes')
      .addColumn('prefix', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute()
    await db.schema
      .createTable('key_notices')
      .addColumn('key_id', 'text', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('org_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('key_notices_pk', ['key_id', 'kind'])
      .execute()
  },
}
