import type { Kysely } from 'kysely'

/**
 * Portico's own tables. Timestamps are ISO 8601 UTC strings with milliseconds in both engines
 * (fixed width, so they sort and compare as text); JSON columns are text; booleans are 0/1.
 */
export interface OrganizationsTable {
  id: string
  name: string
  status: 'active' | 'suspended'
  reseller_id: string | null
  external_id: string | null
  rate_limits: string | null
  created_at: string
}

export interface UsersTable {
  id: string
  email: string
  name: string
  password_hash: string | null
  created_at: string
}

export interface MembershipsTable {
  org_id: string
  user_id: string
  role: 'owner' | 'admin' | 'member'
  created_at: string
}

export interface ResellersTable {
  id: string
  name: string
  status: 'active' | 'suspended'
  created_at: string
}

export interface ApiKeysTable {
  id: string
  owner_type: 'org' | 'reseller' | 'service'
  org_id: string | null
  reseller_id: string | null
  name: string
  prefix: string
  hash: string
  scopes: string
  rate_limits: string | null
  created_at: string
  created_by_type: string | null
  created_by_id: string | null
  last_used_at: string | null
  expires_at: string | null
  revoked_at: string | null
  rolled_from: string | null
  /** Set on keys imported from another system (no Portico format or checksum). */
  imported_at?: string | null
  /** Why Portico revoked the key on its own (`leaked`); null for a revocation asked for. */
  revoked_reason?: string | null
  /** The product's own JSON object (at most 4 KB), never interpreted. */
  meta: string | null
  /** JSON array of CIDR blocks the key may be used from; null: anywhere. */
  allowed_ips: string | null
}

export interface ImportedKeyPrefixesTable {
  prefix: string
  created_at: string
}

export interface KeyNoticesTable {
  key_id: string
  kind: string
  org_id: string | null
  created_at: string
}

/** A key's usage cap: only keys with one have a row. */
export interface ApiKeyCreditsTable {
  key_id: string
  remaining: number
  base: number
  refill_amount: number | null
  refill_interval: 'daily' | 'monthly' | null
  period: string
  version: number
  taken: number
  updated_at: string
}

export interface AuditLogTable {
  id: string
  org_id: string | null
  reseller_id: string | null
  actor_type: string
  actor_id: string | null
  actor_label: string | null
  action: string
  target_type: string | null
  target_id: string | null
  ip: string | null
  user_agent: string | null
  request_id: string | null
  details: string | null
  created_at: string
}

export interface IdempotencyKeysTable {
  owner_id: string
  key: string
  request_hash: string
  state: 'pending' | 'done'
  response_status: number | null
  response_body: string | null
  created_at: string
}

export interface EventsTable {
  id: string
  org_id: string
  type: string
  data: string
  created_at: string
}

export interface SetupTokensTable {
  token_hash: string
  user_id: string
  org_id: string
  created_at: string
  expires_at: string
  used_at: string | null
}

export interface InvitationsTable {
  id: string
  org_id: string
  user_id: string
  email: string
  name: string
  role: 'owner' | 'admin' | 'member'
  invited_by: string
  created_at: string
  expires_at: string
}

export interface UsageDailyTable {
  org_id: string
  key_id: string
  day: string
  outcome: '2xx' | '4xx' | '429' | '5xx'
  count: number
}

export interface SessionsTable {
  token_hash: string
  user_id: string
  org_id: string
  csrf: string
  created_at: string
  expires_at: string
}

export interface FirstRunTable {
  token_hash: string
  created_at: string
  used_at: string | null
}

export interface AccountLinksTable {
  token_hash: string
  kind: 'password_reset' | 'first_owner'
  user_id: string | null
  org_id: string | null
  created_at: string
  expires_at: string
  used_at: string | null
}

export interface CoreTables {
  account_links: AccountLinksTable
  usage_daily: UsageDailyTable
  sessions: SessionsTable
  first_run: FirstRunTable
  setup_tokens: SetupTokensTable
  invitations: InvitationsTable
  organizations: OrganizationsTable
  users: UsersTable
  memberships: MembershipsTable
  resellers: ResellersTable
  api_keys: ApiKeysTable
  imported_key_prefixes: ImportedKeyPrefixesTable
  key_notices: KeyNoticesTable
  api_key_credits: ApiKeyCreditsTable
  audit_log: AuditLogTable
  idempotency_keys: IdempotencyKeysTable
  events: EventsTable
}

export type CoreDb = Kysely<CoreTables>

export type Dialect = 'sqlite' | 'postgres'

/** The handle or a transaction on it: where a statement runs. */
export type AnyExecutor = Kysely<any>

/** Told when the database stops answering (with the error) and when it answers again. */
export type AvailabilityListener = (up: boolean, error?: unknown) => void

export interface DatabaseHandle {
  db: CoreDb
  dialect: Dialect
  /** Messages between every process on this database (PostgreSQL LISTEN/NOTIFY); absent on SQLite. */
  notifications?: Notifications
  /** Hears the database become unreachable and reachable again (PostgreSQL; a SQLite file is always there). */
  watchAvailability?(listener: AvailabilityListener): void
  close(): Promise<void>
}

/** A broadcast to every process using the same database and schema, the sender included. */
export interface Notifications {
  /** With `via` a transaction, the message is sent when (and only if) it commits. */
  notify(channel: string, payload: string, via?: AnyExecutor): Promise<void>
  /**
   * Calls `onMessage` with each payload sent on `channel`; `onLost` when the listening connection
   * drops (messages may be missed from then on) and `onReset` whenever it listens again.
   */
  listen(channel: string, onMessage: (payload: string) => void, onReset: () => void, onLost?: () => void): Promise<void>
}

export const now = (): string => new Date().toISOString()

/** The typed view of a transaction or handle that a capability received untyped. */
 
export const coreDb = (db: Kysely<any>): CoreDb => db as unknown as CoreDb
