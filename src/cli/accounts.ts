import type { PorticoConfig } from '../core/config.js'
import { AccountLinks, type IssuedLink } from '../members/account-links.js'
import { MemberService, roles, type Role } from '../members/member-service.js'
import { coreDb, now, type DatabaseHandle } from '../storage/db.js'
import { operatorTransaction, Refused, transactionDeps } from './operator.js'

/** `an owner`, `an admin`, `a member`. */
export const withArticle = (role: string) => `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}`

export type AddedUser =
  | { kind: 'created'; userId: string; email: string; orgName: string; setupUrl: string; expiresAt: string }
  | { kind: 'added'; userId: string; email: string; orgName: string }

async function findOrganization(database: DatabaseHandle, orgId: string) {
  const org = await coreDb(database.db).selectFrom('organizations').select(['id', 'name']).where('id', '=', orgId).executeTakeFirst()
  if (!org) throw new Refused(`no organisation ${orgId} (portico org list shows them)`)
  return org
}

/**
 * Adds a person to an organisation at the operator's word. A new address becomes an account with
 * a setup link; an existing account is made a member directly, with no link: the operator is
 * trusted with every account, while the dashboard and API only ever invite one.
 */
export async function addUser(database: DatabaseHandle, config: PorticoConfig, input: { orgId: string; email: string; name?: string | undefined; role: string }): Promise<AddedUser> {
  if (!roles.includes(input.role as Role)) throw new Refused(`--role must be owner, admin or member, not "${input.role}"`)
  const role = input.role as Role
  const email = input.email.trim().toLowerCase()
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 254) throw new Refused(`"${input.email}" is not an e-mail address`)
  const name = input.name?.trim() || email.split('@')[0]!
  const org = await findOrganization(database, input.orgId)
  const members = new MemberService(database.db, config)
  return operatorTransaction(database, org.id, async (tx) => {
    const db = coreDb(tx.db)
    const existing = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()
    if (!existing) {
      const done = await members.provision(tx, org.id, { email, name, role }, 'the operator')
      if (done.kind !== 'created') throw new Refused(`${email} was created by another command at the same moment; run this again`)
      return { kind: 'created', userId: done.userId, email, orgName: org.name, setupUrl: done.setupUrl, expiresAt: done.expiresAt }
    }
    const member = await db.selectFrom('memberships').select('role').where('org_id', '=', org.id).where('user_id', '=', existing.id).executeTakeFirst()
    if (member) throw new Refused(`${email} is already ${withArticle(member.role)} of ${org.name}`)
    await db.insertInto('memberships').values({ org_id: org.id, user_id: existing.id, role, created_at: now() }).execute()
    await db.deleteFrom('invitations').where('org_id', '=', org.id).where('user_id', '=', existing.id).execute()
    await tx.audit({ action: 'member.added', targetType: 'user', targetId: existing.id, details: { email, role, via: 'operator command line' } })
    return { kind: 'added', userId: existing.id, email, orgName: org.name }
  })
}

/** A one-time link that creates the organisation's first Owner; refused while it has one. */
export async function ownerLink(database: DatabaseHandle, config: PorticoConfig, orgId: string): Promise<IssuedLink & { orgName: string }> {
  const org = await findOrganization(database, orgId)
  const links = new AccountLinks(database.db, transactionDeps(database), config)
  return operatorTransaction(database, org.id, async (tx) => {
    const link = await links.issueOwnerLink(org.id, coreDb(tx.db))
    if (!link) {
      const owners = await coreDb(tx.db)
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select('users.email')
        .where('memberships.org_id', '=', org.id)
        .where('memberships.role', '=', 'owner')
        .orderBy('users.email')
        .execute()
      throw new Refused(`${org.name} already has an Owner (${owners.map((o) => o.email).join(', ')}); for a password-reset link: portico setup-link --email ${owners[0]!.email}`)
    }
    await tx.audit({ action: 'organization.owner_link_issued', targetType: 'organization', targetId: org.id })
    return { ...link, orgName: org.name }
  })
}

/** A one-time password-reset link for an account, printed for the operator to hand over. */
export async function resetLink(database: DatabaseHandle, config: PorticoConfig, address: string): Promise<IssuedLink & { email: string }> {
  const email = address.trim().toLowerCase()
  const user = await coreDb(database.db).selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()
  if (!user) throw new Refused(`no account has the e-mail ${email}`)
  const links = new AccountLinks(database.db, transactionDeps(database), config)
  return operatorTransaction(database, null, async (tx) => {
    const link = await links.issueReset(user.id, coreDb(tx.db))
    await tx.audit({ action: 'user.password_reset_link_issued', targetType: 'user', targetId: user.id, details: { via: 'operator command line' } })
    return { ...link, email }
  })
}
