import { PostgresAdapter, type Kysely, type Migration } from 'kysely'

/** File bytes are real bytes: BLOB on SQLite, BYTEA on PostgreSQL. */
const bytes = (db: Kysely<unknown>) => (db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob')

export const esignMigrations: Record<string, Migration> = {
  'esign-001-documents': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('esign_documents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('file_name', 'text', (c) => c.notNull())
        .addColumn('file', bytes(db), (c) => c.notNull())
        .addColumn('page_count', 'integer', (c) => c.notNull())
        .addColumn('completed_file', bytes(db))
        .addColumn('template_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'text')
        .addColumn('completed_at', 'text')
        .execute()
      await db.schema.createIndex('esign_documents_org').on('esign_documents').columns(['org_id', 'created_at', 'id']).execute()
      await db.schema
        .createTable('esign_recipients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull())
        .addColumn('document_id', 'text', (c) => c.notNull().references('esign_documents.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.unique())
        .addColumn('signature_name', 'text')
        .addColumn('signed_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('esign_recipients_document').on('esign_recipients').columns(['document_id', 'position']).execute()
      await db.schema
        .createTable('esign_fields')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull())
        .addColumn('document_id', 'text', (c) => c.notNull().references('esign_documents.id').onDelete('cascade'))
        .addColumn('recipient_id', 'text', (c) => c.notNull().references('esign_recipients.id').onDelete('cascade'))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('page', 'integer', (c) => c.notNull())
        .addColumn('x', 'real', (c) => c.notNull())
        .addColumn('y', 'real', (c) => c.notNull())
        .addColumn('width', 'real', (c) => c.notNull())
        .addColumn('height', 'real', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('esign_fields_document').on('esign_fields').column('document_id').execute()
      await db.schema
        .createTable('esign_templates')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('file_name', 'text', (c) => c.notNull())
        .addColumn('file', bytes(db), (c) => c.notNull())
        .addColumn('page_count', 'integer', (c) => c.notNull())
        .addColumn('slots', 'text', (c) => c.notNull())
        .addColumn('direct_link_hash', 'text', (c) => c.unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('esign_templates_org').on('esign_templates').columns(['org_id', 'created_at', 'id']).execute()
    },
  },
}
