import type { OperationContext, TransactionScope } from '../core/context.js'
import { ApiError, notFound } from '../core/errors.js'
import type { Principal, ResellerKeyPrincipal } from '../core/principal.js'
import type { Scope } from '../core/scopes.js'
import type { ImportEntry } from '../keys/key-import.js'
import type { KeyService } from '../keys/key-service.js'
import '../keys/services.js'
import type { KeyRow, RateLimitOverride } from '../keys/key-store.js'
import type { Cursor } from '../core/pagination.js'
import { accountMail } from '../members/account-mail.js'
import type { MemberService, Provisioned, Role } from '../members/member-service.js'
import '../mail/services.js'
import { coreDb } from '../storage/db.js'
import type { OrgStatus, ResellerOrgRow, ResellerStore } from './reseller-store.js'

/**
 * Drops every cached key of an owner on every instance once `tx` commits, so a suspension is seen
 * on that owner's very next request.
 */
export interface OwnerInvalidation {
  invalidateOwner(tx: TransactionScope, ownerId: string): Promise<void>
}

/** The audience check runs before any handler, so a reseller operation only ever sees a reseller key. */
export function resellerOf(principal: Principal): ResellerKeyPrincipal {
  if (principal.kind !== 'reseller_key') throw new ApiError('wrong_key_type', 'This operation needs a reseller key')
  return principal
}

/**
 * What a reseller may do to the organisations it provisioned. Each change runs in a transaction
 * bound to the organisation it touches, so its audit row lands in that organisation's log.
 */
export class ResellerService {
  constructor(
    readonly store: ResellerStore,
    private readonly keys: KeyService,
    private readonly members: MemberService,
    private readonly invalidation: OwnerInvalidation,
  ) {}

  /** The reseller's own organisation, or 404 whether it is missing or another reseller's. */
  async organization(ctx: OperationContext, id: string): Promise<ResellerOrgRow> {
    const row = await this.store.getOrganization(resellerOf(ctx.principal).resellerId, id)
    if (!row) throw notFound('Organization')
    return row
  }

  async createOrganization(
    ctx: OperationContext,
    input: { name: string; externalId: string | null; rateLimits: Record<string, RateLimitOverride> | undefined },
  ): Promise<ResellerOrgRow> {
    const reseller = resellerOf(ctx.principal)
    if (input.rateLimits) this.keys.assertLimitClasses(Object.keys(input.rateLimits))
    const rateLimits = input.rateLimits && Object.keys(input.rateLimits).length ? JSON.stringify(input.rateLimits) : null
    return ctx.transaction(async (tx) => {
      const row = await this.store.insertOrganization({ resellerId: reseller.resellerId, name: input.name, externalId: input.externalId, rateLimits }, coreDb(tx.db))
      if (!row) {
        throw new ApiError('conflict', `You already have an organisation with external_id "${input.externalId}"`, {
          fields: { external_id: 'is already used by another of your organisations' },
        })
      }
      await tx.audit({
        action: 'organization.created',
        targetType: 'organization',
        targetId: row.id,
        orgId: row.id,
        details: { name: row.name, external_id: row.external_id, reseller_id: reseller.resellerId },
      })
      return row
    })
  }

  /** Suspends or resumes; the organisation's cached keys are dropped once the change is committed. */
  async setStatus(ctx: OperationContext, id: string, status: OrgStatus): Promise<ResellerOrgRow> {
    const reseller = resellerOf(ctx.principal)
    return ctx.transaction(
      async (tx) => {
        const result = await this.store.setStatus(reseller.resellerId, id, status, coreDb(tx.db))
        if (!result) throw notFound('Organization')
        if (result.changed) {
          await tx.audit({ action: status === 'suspended' ? 'organization.suspended' : 'organization.resumed', targetType: 'organization', targetId: id })
        }
        await this.invalidation.invalidateOwner(tx, id)
        return result.row
      },
      { orgId: id },
    )
  }

  /**
   * Runs `fn` in a transaction bound to one of the reseller's organisations (so audit rows land in
   * its log), after checking inside it that the organisation is the reseller's: 404 otherwise.
   */
  #inOrganization<T>(ctx: OperationContext, orgId: string, fn: (tx: TransactionScope, reseller: ResellerKeyPrincipal, org: ResellerOrgRow) => Promise<T>): Promise<T> {
    const reseller = resellerOf(ctx.principal)
    return ctx.transaction(
      async (tx) => {
        const org = await this.store.getOrganization(reseller.resellerId, orgId, coreDb(tx.db))
        if (!org) throw notFound('Organization')
        return fn(tx, reseller, org)
      },
      { orgId },
    )
  }

  /**
   * A new e-mail gets an account and a setup link; an existing user an invitation to accept (shown
   * to them as from the provider). With PORTICO_SMTP_URL, once committed, the person is e-mailed
   * their link (or the invitation), as the dashboard does; `emailed` says whether the SMTP server
   * took it, and when it did not (or there is none) the caller hands the link over as before.
   */
  async provisionUser(ctx: OperationContext, orgId: string, input: { email: string; name: string; role: Role }): Promise<Provisioned & { emailed: boolean }> {
    const done = await this.#inOrganization(ctx, orgId, async (tx, _reseller, org) => ({
      ...(await this.members.provision(tx, orgId, input, "the organisation's provider")),
      orgName: org.name,
    }))
    const { orgName, ...provisioned } = done
    const { mail } = ctx.services
    if (!mail.configured) return { ...provisioned, emailed: false }
    const from = { orgName, invitedBy: "Your organisation's provider" }
    const message =
      provisioned.kind === 'created'
        ? accountMail.setupLink(input.email, { ...from, url: provisioned.setupUrl })
        : accountMail.invitation(input.email, { ...from, url: `${ctx.publicUrl}/invitations` })
    try {
      await mail.send(message)
      ctx.log.info({ org_id: orgId, user_id: provisioned.userId }, `${provisioned.kind === 'created' ? 'setup link' : 'invitation'} e-mailed to ${input.email}`)
      return { ...provisioned, emailed: true }
    } catch (error) {
      // The link is in the answer instead, for the provider to hand over; the log never holds it.
      ctx.log.warn({ org_id: orgId, user_id: provisioned.userId, err: error instanceof Error ? error.message : String(error) }, `could not e-mail ${input.email}`)
      return { ...provisioned, emailed: false }
    }
  }

  /** An organisation key minted on the organisation's behalf; its creator is the reseller key. */
  async mintOrgKey(
    ctx: OperationContext,
    orgId: string,
    input: { name: string; scopes: Scope[]; expiresAt: string | null },
  ): Promise<{ row: KeyRow; key: string }> {
    return this.#inOrganization(ctx, orgId, (tx, reseller) => this.keys.mint(tx, reseller, { type: 'org', orgId }, input))
  }

  /** Keys imported from another system into one of the reseller's organisations (`POST /keys/import` on its behalf). */
  async importOrgKeys(ctx: OperationContext, orgId: string, entries: ImportEntry[]): Promise<KeyRow[]> {
    return this.#inOrganization(ctx, orgId, (tx, reseller) => ctx.services.keyImport.import(tx, reseller, { type: 'org', orgId }, entries))
  }

  /** An organisation's keys, newest first: those the reseller minted and those its users made. */
  async orgKeys(ctx: OperationContext, orgId: string, limit: number, cursor?: Cursor): Promise<KeyRow[]> {
    const org = await this.organization(ctx, orgId)
    return this.keys.store.list({ type: 'org', orgId: org.id }, limit, cursor)
  }

  /** Revokes one of an organisation's keys, audited in that organisation's log like a revoke by its admin. */
  async revokeOrgKey(ctx: OperationContext, orgId: string, keyId: string): Promise<KeyRow> {
    return this.#inOrganization(ctx, orgId, (tx) => this.keys.revoke(tx, { type: 'org', orgId }, keyId))
  }
}
