import type { Kysely, Migration } from 'kysely'

/**
 * What each delivery attempt was answered: the first bytes of the response body (at most
 * 2 KB, see `RESPONSE_EXCERPT_BYTES`), next to the status code already kept.
 */
export const webhookResponsesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('webhook_attempts').addColumn('response_body', 'text').execute()
  },
}
