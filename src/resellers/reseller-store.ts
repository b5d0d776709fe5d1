import { randomUUID } from 'node:crypto'
import { type Cursor, beforeCursor } from '../core/pagination.js'
import type { MemberView } from '../members/member-service.js'
import { now, type CoreDb, type OrganizationsTable, type ResellersTable } from '../storage/db.js'

export type ResellerOrgRow = OrganizationsTable
export type OrgStatus = OrganizationsTable['status']

/** A member row with what the cursor needs: the membership's creation time and the user id. */
export type MemberRow = MemberView & { id: string }

/**
 * Storage for resellers and the organisations they provision. Every call that takes an
 * organisation id also takes the reseller id, so another reseller's organisation is simply absent.
 */
export class ResellerStore {
  constructor(private readonly db: CoreDb) {}

  async createReseller(name: string, db: CoreDb = this.db): Promise<ResellersTable> {
    const row: ResellersTable = { id: randomUUID(), name, status: 'active', created_at: now() }
    await db.insertInto('resellers').values(row).execute()
    return row
  }

  /** Suspends or resumes a reseller; `changed` is true only when the status moved, so one audit row. */
  async setResellerStatus(id: string, status: ResellersTable['status'], db: CoreDb = this.db): Promise<{ row: ResellersTable; changed: boolean } | undefined> {
    const changed = await db.updateTable('resellers').set({ status }).where('id', '=', id).where('status', '!=', status).returningAll().executeTakeFirst()
    if (changed) return { row: changed, changed: true }
    const row = await db.selectFrom('resellers').selectAll().where('id', '=', id).executeTakeFirst()
    return row && { row, changed: false }
  }

  /**
   * Inserts the organisation unless the reseller already has one with this `external_id`; the
   * unique index decides, so of two concurrent creations exactly one gets the row.
   */
  async insertOrganization(
    input: { resellerId: string; name: string; externalId: string | null; rateLimits: string | null },
    db: CoreDb = this.db,
  ): Promise<ResellerOrgRow | undefined> {
    const row: ResellerOrgRow = {
      id: randomUUID(),
      name: input.name,
      status: 'active',
      reseller_id: input.resellerId,
      external_id: input.externalId,
      rate_limits: input.rateLimits,
      created_at: now(),
    }
    const inserted = await db
      .insertInto('organizations')
      .values(row)
      .onConflict((oc) => oc.columns(['reseller_id', 'external_id']).doNothing())
      .returning('id')
      .executeTakeFirst()
    return inserted ? row : undefined
  }

  getOrganization(resellerId: string, id: string, db: CoreDb = this.db): Promise<ResellerOrgRow | undefined> {
    return db.selectFrom('organizations').selectAll().where('id', '=', id).where('reseller_id', '=', resellerId).executeTakeFirst()
  }

  listOrganizations(
    resellerId: string,
    filter: { externalId?: string | undefined; status?: OrgStatus | undefined },
    limit: number,
    cursor?: Cursor,
  ): Promise<ResellerOrgRow[]> {
    let query = this.db.selectFrom('organizations').selectAll().where('reseller_id', '=', resellerId)
    if (filter.externalId !== undefined) query = query.where('external_id', '=', filter.externalId)
    if (filter.status !== undefined) query = query.where('status', '=', filter.status)
    if (cursor) {
      query = query.where(beforeCursor(cursor))
    }
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
  }

  /** Moves the organisation to `status`; `changed` is true for exactly one caller, so one audit row. */
  async setStatus(
    resellerId: string,
    id: string,
    status: OrgStatus,
    db: CoreDb = this.db,
  ): Promise<{ row: ResellerOrgRow; changed: boolean } | undefined> {
    const updated = await db
      .updateTable('organizations')
      .set({ status })
      .where('id', '=', id)
      .where('reseller_id', '=', resellerId)
      .where('status', '!=', status)
      .returningAll()
      .executeTakeFirst()
    if (updated) return { row: updated, changed: true }
    const row = await this.getOrganization(resellerId, id, db)
    return row ? { row, changed: false } : undefined
  }

  /** Members of an organisation, newest membership first, paginated like every other list. */
  async listMembers(orgId: string, limit: number, cursor?: Cursor): Promise<MemberRow[]> {
    let query = this.db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id', 'users.email', 'users.name', 'users.password_hash', 'memberships.role', 'memberships.created_at'])
      .where('memberships.org_id', '=', orgId)
    if (cursor) {
      query = query.where(beforeCursor(cursor, ['memberships.created_at', 'users.id']))
    }
    const rows = await query.orderBy('memberships.created_at', 'desc').orderBy('users.id', 'desc').limit(limit + 1).execute()
    return rows.map((r) => ({
      id: r.id,
      user_id: r.id,
      email: r.email,
      name: r.name,
      role: r.role,
      status: r.password_hash ? ('active' as const) : ('invited' as const),
      created_at: r.created_at,
    }))
  }
}
