import { randomUUID } from 'node:crypto'
import type { TransactionScope } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import { coreDb, now, type CoreDb, type InvitationsTable } from '../storage/db.js'

const INVITATION_TTL_MS = 30 * 24 * 60 * 60 * 1000

/** A pending invitation as its invitee sees it: which organisation, which role, from whom. */
export interface InvitationForUser {
  id: string
  orgId: string
  orgName: string
  role: InvitationsTable['role']
  invitedBy: string
  createdAt: string
  expiresAt: string
}

/**
 * Invitations of existing users to another organisation. Membership is granted by the invitee,
 * never by the inviter: accepting creates it, declining (or the organisation cancelling) drops the
 * invitation. Every change is one conditional statement, so a double click acts once.
 */
export class InvitationService {
  constructor(private readonly db: CoreDb) {}

  /** A pending invitation; an expired one for the same person is replaced, a live one is 409. */
  async create(
    tx: TransactionScope,
    input: { orgId: string; userId: string; email: string; name: string; role: InvitationsTable['role']; invitedBy: string },
  ): Promise<InvitationsTable> {
    const db = coreDb(tx.db)
    const at = now()
    await db.deleteFrom('invitations').where('org_id', '=', input.orgId).where('user_id', '=', input.userId).where('expires_at', '<=', at).execute()
    const row: InvitationsTable = {
      id: randomUUID(),
      org_id: input.orgId,
      user_id: input.userId,
      email: input.email,
      name: input.name,
      role: input.role,
      invited_by: input.invitedBy,
      created_at: at,
      expires_at: new Date(Date.parse(at) + INVITATION_TTL_MS).toISOString(),
    }
    const inserted = await db
      .insertInto('invitations')
      .values(row)
      .onConflict((oc) => oc.columns(['org_id', 'user_id']).doNothing())
      .returning('id')
      .executeTakeFirst()
    if (!inserted) throw new ApiError('conflict', `${input.email} already has a pending invitation to this organisation`)
    return row
  }

  /** The user's pending invitations, oldest first, with each organisation's name. */
  forUser(userId: string): Promise<InvitationForUser[]> {
    return this.db
      .selectFrom('invitations')
      .innerJoin('organizations', 'organizations.id', 'invitations.org_id')
      .select([
        'invitations.id',
        'invitations.org_id as orgId',
        'organizations.name as orgName',
        'invitations.role',
        'invitations.invited_by as invitedBy',
        'invitations.created_at as createdAt',
        'invitations.expires_at as expiresAt',
      ])
      .where('invitations.user_id', '=', userId)
      .where('invitations.expires_at', '>', now())
      .orderBy('invitations.created_at')
      .orderBy('invitations.id')
      .execute()
  }

  async countForUser(userId: string): Promise<number> {
    const row = await this.db
      .selectFrom('invitations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('expires_at', '>', now())
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }

  /** An organisation's pending invitations, as its inviters typed them. */
  forOrganization(orgId: string): Promise<Pick<InvitationsTable, 'id' | 'email' | 'name' | 'role' | 'created_at' | 'expires_at'>[]> {
    return this.db
      .selectFrom('invitations')
      .select(['id', 'email', 'name', 'role', 'created_at', 'expires_at'])
      .where('org_id', '=', orgId)
      .where('expires_at', '>', now())
      .orderBy('created_at')
      .orderBy('id')
      .execute()
  }

  /**
   * Takes the user's own unexpired invitation out of the table (exactly one caller gets it), for
   * accepting or declining. Undefined for anyone else's, a used or an expired one.
   */
  async take(db: CoreDb, userId: string, id: string): Promise<InvitationsTable | undefined> {
    return db.deleteFrom('invitations').where('id', '=', id).where('user_id', '=', userId).where('expires_at', '>', now()).returningAll().executeTakeFirst()
  }

  /** Accepting: the membership the invitation offered, in the caller's transaction (bound to that organisation). */
  async accept(tx: TransactionScope, invitation: InvitationsTable): Promise<void> {
    await coreDb(tx.db)
      .insertInto('memberships')
      .values({ org_id: invitation.org_id, user_id: invitation.user_id, role: invitation.role, created_at: now() })
      .onConflict((oc) => oc.columns(['org_id', 'user_id']).doNothing())
      .execute()
    await tx.audit({
      action: 'member.added',
      targetType: 'user',
      targetId: invitation.user_id,
      orgId: invitation.org_id,
      details: { email: invitation.email, role: invitation.role, via: 'invitation accepted' },
    })
  }

  /** An organisation withdraws an invitation it sent; 404 for anyone else's. */
  async cancel(tx: TransactionScope, orgId: string, id: string): Promise<InvitationsTable> {
    const row = await coreDb(tx.db).deleteFrom('invitations').where('id', '=', id).where('org_id', '=', orgId).returningAll().executeTakeFirst()
    if (!row) throw new ApiError('not_found', 'Invitation not found')
    await tx.audit({ action: 'member.invitation_cancelled', targetType: 'user', targetId: row.user_id, orgId, details: { email: row.email } })
    return row
  }
}
