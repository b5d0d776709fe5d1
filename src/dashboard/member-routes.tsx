import type { Context, Hono } from 'hono'
import type { AnyDb, TransactionScope } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import { runInTransaction } from '../core/transaction.js'
import type { HttpEnv } from '../http/env.js'
import { accountMail } from '../members/account-mail.js'
import { roles, type MemberView, type Role } from '../members/member-service.js'
import type { MailMessage } from '../mail/mailer.js'
import { coreDb } from '../storage/db.js'
import { formText, looksLikeEmail, type DashboardKit, type SignedIn } from './kit.js'
import { filterMembers, memberFilterOf } from './member-filter.js'
import { ConfirmPage } from './pages/confirm.js'
import { MembersPage, removeQuestion } from './pages/members.js'

type Ctx = Context<HttpEnv>
type Extra = { link?: { email: string; url: string | null; emailed?: boolean }; error?: string; notice?: string; mail?: MailMessage }


/**
 * Members: invite by one-time link, change roles, remove. The rules a role cannot bypass live
 * here and in MemberService: only an Owner grants, changes or removes Owner, nobody changes their
 * own membership, and an organisation keeps at least one Owner.
 */
export function memberRoutes(kit: DashboardKit) {
  const { members } = kit.deps

  const page = async (c: Ctx, me: SignedIn, extra: Extra = {}, status = 200) => {
    const [list, invited] = await Promise.all([members.list(me.session.orgId), members.invitations.forOrganization(me.session.orgId)])
    // A form's answer shows everyone; a GET keeps the filter in its address.
    const filter = memberFilterOf((name) => (c.req.method === 'GET' ? c.req.query(name) : undefined))
    const shown = filterMembers(list, filter)
    return kit.html(
      c,
      <MembersPage me={me} members={shown} filter={filter} total={list.length} invited={invited} location={c.req.method === 'POST' ? '/members' : undefined} {...extra} />,
      status,
    )
  }

  /** Runs a change as the signed-in user, audited in the same transaction; errors become the page's message. */
  const change = async (c: Ctx, me: SignedIn, fn: (tx: TransactionScope) => Promise<Extra>) => {
    try {
      if (!me.canManage) throw new ApiError('insufficient_scope', 'Only Owners and Admins manage members')
      kit.assertWritable(me)
      const { mail, ...extra } = await runInTransaction(kit.deps.tx, me.principal, kit.meta(c), me.session.orgId, fn)
      // Once committed, the link goes to the person's mailbox; without SMTP (or if it fails) it is shown here instead.
      if (mail && extra.link && kit.deps.mail.configured) {
        try {
          await kit.deps.mail.send(mail)
          extra.link = { ...extra.link, emailed: true }
        } catch (error) {
          extra.error = `${error instanceof Error ? error.message : String(error)}; copy the link below to them instead.`
        }
      }
      return await page(c, me, extra, extra.link ? 201 : 200)
    } catch (error) {
      const { message, status } = kit.failure(error)
      return page(c, me, { error: message }, status)
    }
  }

  /**
   * The member an action names, in the signed-in user's organisation, if they may act on them.
   * Read through `db`, the action's own transaction: SQLite has one connection, which it holds.
   */
  const target = async (db: AnyDb, me: SignedIn, userId: string): Promise<Pick<MemberView, 'user_id' | 'email' | 'name' | 'role' | 'status'>> => {
    const row = await coreDb(db)
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id', 'users.email', 'users.name', 'users.password_hash', 'memberships.role'])
      .where('memberships.org_id', '=', me.session.orgId)
      .where('memberships.user_id', '=', userId)
      .executeTakeFirst()
    if (!row) throw new ApiError('not_found', 'Member not found')
    const member = { user_id: row.id, email: row.email, name: row.name, role: row.role, status: row.password_hash ? ('active' as const) : ('invited' as const) }
    if (member.user_id === me.session.userId) throw new ApiError('conflict', 'You cannot change your own membership; ask another Owner')
    if (member.role === 'owner' && me.session.role !== 'owner') throw new ApiError('insufficient_scope', 'Only an Owner can change another Owner')
    return member
  }

  return function mountMembers(app: Hono<HttpEnv>): void {
    app.get(
      '/members',
      kit.signedIn((c, me) => page(c, me)),
    )

    app.post(
      '/members',
      kit.limit,
      kit.signedIn((c, me) =>
        change(c, me, async (tx) => {
          const email = formText(me.form, 'email').toLowerCase()
          const name = formText(me.form, 'name')
          const role = formText(me.form, 'role') as Role
          if (!name || name.length > 200) throw new ApiError('validation_error', 'Give the person a name', { fields: { name: 'is required' } })
          if (!looksLikeEmail(email)) throw new ApiError('validation_error', 'Give a valid e-mail address', { fields: { email: 'is invalid' } })
          if (!roles.includes(role)) throw new ApiError('validation_error', 'Choose Owner, Admin or Member', { fields: { role: 'is invalid' } })
          if (role === 'owner' && me.session.role !== 'owner') throw new ApiError('insufficient_scope', 'Only an Owner can add another Owner')
          const done = await members.provision(tx, me.session.orgId, { email, name, role }, me.session.email)
          // Only what was typed: whether the person is known elsewhere, and as whom, stays theirs.
          const from = { orgName: me.org.name, invitedBy: me.session.email }
          const mail =
            done.kind === 'created'
              ? accountMail.setupLink(email, { ...from, url: done.setupUrl })
              : accountMail.invitation(email, { ...from, url: `${kit.deps.urls.publicUrl}/invitations` })
          return { link: { email, url: done.kind === 'created' ? done.setupUrl : null }, mail }
        }),
      ),
    )

    app.post(
      '/members/:userId/role',
      kit.limit,
      kit.signedIn((c, me) =>
        change(c, me, async (tx) => {
          const member = await target(tx.db, me, c.req.param('userId')!)
          const role = formText(me.form, 'role') as Role
          if (!roles.includes(role)) throw new ApiError('validation_error', 'Choose Owner, Admin or Member', { fields: { role: 'is invalid' } })
          if (role === member.role) return { notice: `${member.name} is already ${role === 'admin' ? 'an' : 'a'} ${role}.` }
          if (role === 'owner' && me.session.role !== 'owner') throw new ApiError('insufficient_scope', 'Only an Owner can make someone an Owner')
          await members.changeRole(tx, me.session.orgId, member.user_id, role)
          return { notice: `${member.name} is now ${role === 'admin' ? 'an' : 'a'} ${role[0]!.toUpperCase()}${role.slice(1)}.` }
        }),
      ),
    )

    app.post(
      '/members/:userId/link',
      kit.limit,
      kit.signedIn((c, me) =>
        change(c, me, async (tx) => {
          const member = await target(tx.db, me, c.req.param('userId')!)
          if (member.status !== 'invited') throw new ApiError('conflict', `${member.email} has already chosen a password`)
          const link = await members.reissueSetupLink(tx, me.session.orgId, member.user_id)
          await tx.audit({ action: 'member.setup_link_issued', targetType: 'user', targetId: member.user_id, details: { email: member.email } })
          return { link: { email: member.email, url: link.url }, mail: accountMail.setupLink(member.email, { orgName: me.org.name, invitedBy: me.session.email, url: link.url }) }
        }),
      ),
    )

    app.post(
      '/members/invitations/:id/cancel',
      kit.limit,
      kit.signedIn((c, me) =>
        change(c, me, async (tx) => {
          const cancelled = await members.invitations.cancel(tx, me.session.orgId, c.req.param('id')!)
          return { notice: `The invitation for ${cancelled.email} was withdrawn.` }
        }),
      ),
    )

    app.post(
      '/members/:userId/remove',
      kit.limit,
      kit.signedIn(async (c, me) => {
        if (me.canManage && me.form.get('confirmed') !== '1') {
          try {
            const member = await target(kit.deps.db, me, c.req.param('userId')!)
            const confirm = { ...removeQuestion(member, me.org.name), href: c.req.path, back: '/members' }
            return await kit.html(c, <ConfirmPage me={me} current="/members" confirm={confirm} />)
          } catch (error) {
            const { message, status } = kit.failure(error)
            return page(c, me, { error: message }, status)
          }
        }
        return change(c, me, async (tx) => {
          const member = await target(tx.db, me, c.req.param('userId')!)
          await members.remove(tx, me.session.orgId, member.user_id)
          return { notice: `${member.name} was removed from ${me.org.name}.` }
        })
      }),
    )
  }
}
