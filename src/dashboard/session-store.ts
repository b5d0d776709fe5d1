import { createHash, randomBytes } from 'node:crypto'
import type { CoreDb } from '../storage/db.js'

const SESSION_TTL_MS = 12 * 60 * 60 * 1000
const hash = (token: string) => createHash('sha256').update(token).digest('hex')

export interface Session {
  userId: string
  orgId: string
  csrf: string
  email: string
  name: string
  role: 'owner' | 'admin' | 'member'
}

/** Server-side sessions: the cookie holds a random token, the database only its hash. */
export class SessionStore {
  constructor(private readonly db: CoreDb) {}

  async create(userId: string, orgId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url')
    const now = Date.now()
    await this.db
      .insertInto('sessions')
      .values({ token_hash: hash(token), user_id: userId, org_id: orgId, csrf: randomBytes(24).toString('base64url'), created_at: new Date(now).toISOString(), expires_at: new Date(now + SESSION_TTL_MS).toISOString() })
      .execute()
    return token
  }

  /** The session with the user's current role in its organisation; none once membership is gone. */
  async find(token: string | undefined): Promise<Session | undefined> {
    if (!token) return undefined
    const row = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .innerJoin('memberships', (j) => j.onRef('memberships.user_id', '=', 'sessions.user_id').onRef('memberships.org_id', '=', 'sessions.org_id'))
      .select(['sessions.user_id', 'sessions.org_id', 'sessions.csrf', 'users.email', 'users.name', 'memberships.role'])
      .where('sessions.token_hash', '=', hash(token))
      .where('sessions.expires_at', '>', new Date().toISOString())
      .executeTakeFirst()
    return row && { userId: row.user_id, orgId: row.org_id, csrf: row.csrf, email: row.email, name: row.name, role: row.role }
  }

  async switchOrg(token: string, orgId: string): Promise<void> {
    await this.db.updateTable('sessions').set({ org_id: orgId }).where('token_hash', '=', hash(token)).execute()
  }

  async destroy(token: string | undefined): Promise<void> {
    if (token) await this.db.deleteFrom('sessions').where('token_hash', '=', hash(token)).execute()
  }
}
