import type { Kysely, Migration } from 'kysely'

/**
 * One-time links that set a credential outside an organisation's own setup links: a password reset
 * (e-mailed to the account's own address, or printed by the operator's `portico setup-link
 * --email`) and an organisation's first Owner (`portico setup-link --org`). Only the token's
 * SHA-256 is stored; each expires soon and works once.
 */
export const accountLinksMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('account_links')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('org_id', 'text', (c) => c.references('organizations.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .execute()
    await db.schema.createIndex('account_links_user').on('account_links').columns(['user_id', 'kind']).execute()
    await db.schema.createIndex('account_links_org').on('account_links').columns(['org_id', 'kind']).execute()
  },
}
