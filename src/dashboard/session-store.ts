import { createHash, randomBytes } from 'node:crypto'
import type { Role } from '../members/member-service.js'
import { now, type CoreDb } from '../storage/db.js'

const SESSION_TTL_MS = 12 * 60 * 60 * 1000
const hash = (token: string) => createHash('sha256').update(token).digest('hex')

export interface Session {
  userId: string
  orgId: string
  /** The per-session secret every form posts back. */
  csrf: string
  email: string
  name: string
  /** The user's role in the session's current organisation, read afresh on every request. */
  role: Role
  /** Whether that organisation is suspended (read-only for everyone), read afresh too. */
  orgStatus: 'active' | 'suspended'
}

/** A signed-in user, whether or not they belong to an organisation yet (a new user with only invitations). */
export type Account = Pick<Session, 'userId' | 'csrf' | 'email' | 'name'>

export interface OrgChoice {
  id: string
  name: string
  status: 'active' | 'suspended'
  role: Role
}

/** Server-side sessions: the cookie holds a random token, the database only its SHA-256. */
export class SessionStore {
  constructor(private readonly db: CoreDb) {}

  /** `orgId` is empty for a user who belongs to no organisation yet and signs in to answer invitations. */
  async create(userId: string, orgId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url')
    const at = Date.now()
    // Expired sessions are dropped here rather than by a timer: sign-ins are rare and cheap to piggyback on.
    await this.db.deleteFrom('sessions').where('expires_at', '<=', now()).execute()
    await this.db
      .insertInto('sessions')
      .values({
        token_hash: hash(token),
        user_id: userId,
        org_id: orgId,
        csrf: randomBytes(24).toString('base64url'),
        created_at: new Date(at).toISOString(),
        expires_at: new Date(at + SESSION_TTL_MS).toISOString(),
      })
      .execute()
    return token
  }

  /** The session with the user's current role in its organisation; none once that membership is gone. */
  async find(token: string | undefined): Promise<Session | undefined> {
    if (!token) return undefined
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .innerJoin('memberships', (j) => j.onRef('memberships.user_id', '=', 'sessions.user_id').onRef('memberships.org_id', '=', 'sessions.org_id'))
      .innerJoin('organizations', 'organizations.id', 'sessions.org_id')
      .select(['sessions.user_id', 'sessions.org_id', 'sessions.csrf', 'users.email', 'users.name', 'memberships.role', 'organizations.status'])
      .where('sessions.token_hash', '=', hash(token))
      .where('sessions.expires_at', '>', now())
      .executeTakeFirst()
    return row && { userId: row.user_id, orgId: row.org_id, csrf: row.csrf, email: row.email, name: row.name, role: row.role, orgStatus: row.status }
  }

  /** The session's user, in an organisation or not: for the invitations page, which needs no organisation. */
  async findAccount(token: string | undefined): Promise<Account | undefined> {
    if (!token) return undefined
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['sessions.user_id', 'sessions.csrf', 'users.email', 'users.name'])
      .where('sessions.token_hash', '=', hash(token))
      .where('sessions.expires_at', '>', now())
      .executeTakeFirst()
    return row && { userId: row.user_id, csrf: row.csrf, email: row.email, name: row.name }
  }

  /** Every organisation the user belongs to, oldest membership first (the one a sign-in opens). */
  orgsOf(userId: string): Promise<OrgChoice[]> {
    return this.db
      .selectFrom('memberships')
      .innerJoin('organizations', 'organizations.id', 'memberships.org_id')
      .select(['organizations.id', 'organizations.name', 'organizations.status', 'memberships.role'])
      .where('memberships.user_id', '=', userId)
      .orderBy('memberships.created_at')
      .orderBy('organizations.id')
      .execute()
  }

  /** Moves the session to another organisation, only one the user is a member of. */
  async switchOrg(token: string, userId: string, orgId: string): Promise<boolean> {
    const member = await this.db.selectFrom('memberships').select('org_id').where('user_id', '=', userId).where('org_id', '=', orgId).executeTakeFirst()
    if (!member) return false
    await this.db.updateTable('sessions').set({ org_id: orgId }).where('token_hash', '=', hash(token)).where('user_id', '=', userId).execute()
    return true
  }

  async destroy(token: string | undefined): Promise<void> {
    if (token) await this.db.deleteFrom('sessions').where('token_hash', '=', hash(token)).execute()
  }
}
