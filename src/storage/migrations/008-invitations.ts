import type { Kysely, Migration } from 'kysely'

/**
 * Invitations of an existing user to another organisation. Users are global (one per e-mail), so
 * an organisation never gets a link that sets their password: it asks, and the user accepts
 * while signed in. One pending invitation per organisation and user.
 */
export const invitationsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('invitations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      // What the inviter typed: their members page shows it, never the stored user's name.
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('invited_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute()
    await db.schema.createIndex('invitations_org_user').on('invitations').columns(['org_id', 'user_id']).unique().execute()
    await db.schema.createIndex('invitations_user').on('invitations').column('user_id').execute()
  },
}
