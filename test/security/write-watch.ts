import { sql, type Kysely } from 'kysely'

/** Every base table of the test database (the current schema on PostgreSQL). */
export async function listTables(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<string[]> {
  const rows =
    dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(db)
  return rows.rows.map((r) => r.name).filter((name) => name !== WRITE_LOG)
}

const WRITE_LOG = 'zz_write_log'

export interface WriteWatch {
  /** Rows written (inserted, updated or deleted, and committed) since the last call, by table. */
  take(): Promise<{ table: string; op: string }[]>
}

/**
 * Catches any committed write, not only a changed row count: a row trigger on every table logs
 * the table and the kind of change into a table of its own. Rolled-back writes vanish with their
 * transaction, as they should; an UPDATE that matches no row logs nothing. Installed after the
 * migrations, on the test's own database, so the code under test is unchanged.
 */
export async function watchWrites(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<WriteWatch> {
  const tables = await listTables(db, dialect)
  await sql`create table ${sql.id(WRITE_LOG)} (seq integer primary key ${sql.raw(dialect === 'sqlite' ? 'autoincrement' : 'generated always as identity')}, tbl text not null, op text not null)`.execute(db)
  if (dialect === 'postgres') {
    await sql`create function zz_log_write() returns trigger language plpgsql as $$
      begin insert into zz_write_log (tbl, op) values (TG_TABLE_NAME, TG_OP); return null; end $$`.execute(db)
  }
  for (const table of tables) {
    for (const op of ['insert', 'update', 'delete']) {
      const name = sql.id(`zz_${op}_${table}`)
      if (dialect === 'sqlite') {
        await sql`create trigger ${name} after ${sql.raw(op)} on ${sql.id(table)} begin
          insert into ${sql.id(WRITE_LOG)} (tbl, op) values (${sql.lit(table)}, ${sql.lit(op.toUpperCase())}); end`.execute(db)
      } else {
        await sql`create trigger ${name} after ${sql.raw(op)} on ${sql.id(table)} for each row execute function zz_log_write()`.execute(db)
      }
    }
  }
  let seen = 0
  return {
    async take() {
      const rows = await sql<{ seq: number; tbl: string; op: string }>`select seq, tbl, op from ${sql.id(WRITE_LOG)} where seq > ${seen} order by seq`.execute(db)
      if (rows.rows.length) seen = Number(rows.rows.at(-1)!.seq)
      return rows.rows.map((r) => ({ table: r.tbl, op: r.op }))
    },
  }
}
