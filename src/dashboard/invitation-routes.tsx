import type { Context, Hono } from 'hono'
import { ApiError } from '../core/errors.js'
import type { UserPrincipal } from '../core/principal.js'
import { allScopes } from '../core/scopes.js'
import { runInTransaction } from '../core/transaction.js'
import type { HttpEnv } from '../http/env.js'
import { coreDb } from '../storage/db.js'
import type { DashboardKit } from './kit.js'
import type { Viewer } from './layout.js'
import { InvitationsPage } from './pages/invitations.js'
import type { Account } from './session-store.js'

type Ctx = Context<HttpEnv>

/**
 * `/invitations`: a signed-in user accepts or declines invitations to organisations. This is the
 * only way an existing account joins another organisation, so no inviter can grant itself an
 * account someone else owns. It works before the user belongs to any organisation, too.
 */
export function invitationRoutes(kit: DashboardKit) {
  const { deps } = kit
  const { invitations } = deps.members

  /** The full viewer when the session has an organisation (the page then has the usual top bar). */
  const viewer = async (c: Ctx, account: Account): Promise<Viewer | undefined> => {
    const session = await deps.sessions.find(kit.sessionToken(c))
    if (!session) return undefined
    const orgs = await deps.sessions.orgsOf(account.userId)
    const org = orgs.find((o) => o.id === session.orgId)
    if (!org) return undefined
    const pending = await invitations.countForUser(account.userId)
    return { session, orgs, org, invitations: pending }
  }

  const page = async (c: Ctx, account: Account, extra: { error?: string; notice?: string } = {}, status = 200) =>
    kit.html(
      c,
      <InvitationsPage
        me={await viewer(c, account)}
        account={account}
        invitations={await invitations.forUser(account.userId)}
        location={c.req.method === 'POST' ? '/invitations' : undefined}
        {...extra}
      />,
      status,
    )

  /** Takes the invitation and answers it in one transaction bound to its organisation, so the audit row lands there. */
  const answer = async (c: Ctx, account: Account, accept: boolean): Promise<Response> => {
    const id = c.req.param('id')!
    const invitation = (await invitations.forUser(account.userId)).find((i) => i.id === id)
    if (!invitation) return page(c, account, { error: 'That invitation is no longer open.' }, 404)
    try {
      const org = await deps.db.selectFrom('organizations').select('status').where('id', '=', invitation.orgId).executeTakeFirst()
      if (accept && org?.status === 'suspended') {
        throw new ApiError('organization_suspended', `${invitation.orgName} is suspended; you can accept once it is resumed`)
      }
      // The user acts in the organisation they are joining, with the role they are given.
      const principal: UserPrincipal = {
        kind: 'user',
        orgId: invitation.orgId,
        userId: account.userId,
        email: account.email,
        role: invitation.role,
        scopes: invitation.role === 'member' ? ['read'] : [...allScopes],
        orgStatus: org?.status ?? 'active',
      }
      const taken = await runInTransaction(deps.tx, principal, kit.meta(c), invitation.orgId, async (tx) => {
        const row = await invitations.take(coreDb(tx.db), account.userId, id)
        if (!row) return undefined
        if (accept) await invitations.accept(tx, row)
        else await tx.audit({ action: 'member.invitation_declined', targetType: 'user', targetId: account.userId, details: { email: row.email } })
        return row
      })
      if (!taken) return page(c, account, { error: 'That invitation is no longer open.' }, 404)
      if (!accept) return page(c, account, { notice: `You declined the invitation to ${invitation.orgName}.` })
      // Straight into the organisation just joined.
      await deps.sessions.switchOrg(kit.sessionToken(c)!, account.userId, invitation.orgId)
      return c.redirect('/keys', 303)
    } catch (error) {
      const { message, status } = kit.failure(error)
      return page(c, account, { error: message }, status)
    }
  }

  return function mountInvitations(app: Hono<HttpEnv>): void {
    app.get(
      '/invitations',
      kit.signedInAccount((c, account) => page(c, account)),
    )
    app.post(
      '/invitations/:id/accept',
      kit.limit,
      kit.signedInAccount((c, account) => answer(c, account, true)),
    )
    app.post(
      '/invitations/:id/decline',
      kit.limit,
      kit.signedInAccount((c, account) => answer(c, account, false)),
    )
  }
}
