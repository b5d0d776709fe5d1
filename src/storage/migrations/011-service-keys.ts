import type { Kysely, Migration } from 'kysely'

/**
 * Service keys (`psk_…`) live in `api_keys` with `owner_type = 'service'` and neither an
 * organisation nor a reseller, so hashing, the key cache, revocation and roll are the same code as
 * for every other key. The operator lists them by owner type.
 */
export const serviceKeysMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('api_keys_owner_type_created').on('api_keys').columns(['owner_type', 'created_at', 'id']).execute()
  },
}
