import { randomUUID } from 'node:crypto'
import type { Kysely } from 'kysely'
import { now, type CoreTables, type OrganizationsTable } from '../storage/db.js'

export type OrgRow = OrganizationsTable

export class OrgStore {
  constructor(private readonly db: Kysely<CoreTables>) {}

  async create(
    input: { name: string; resellerId?: string | null; externalId?: string | null; rateLimits?: string | null },
    db: Kysely<CoreTables> = this.db,
  ): Promise<OrgRow> {
    const row: OrgRow = {
      id: randomUUID(),
      name: input.name,
      status: 'active',
      reseller_id: input.resellerId ?? null,
      external_id: input.externalId ?? null,
      rate_limits: input.rateLimits ?? null,
      created_at: now(),
    }
    await db.insertInto('organizations').values(row).execute()
    return row
  }

  get(id: string, db: Kysely<CoreTables> = this.db): Promise<OrgRow | undefined> {
    return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst()
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    return Number(row.n)
  }
}
