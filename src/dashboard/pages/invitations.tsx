import type { FC } from 'hono/jsx'
import type { InvitationForUser } from '../../members/invitation-service.js'
import type { Account } from '../session-store.js'
import { Csrf, Empty, Flash, Page, When, type Viewer } from '../layout.js'

const roleNames = { owner: 'Owner', admin: 'Admin', member: 'Member' } as const

interface InvitationsPageProps {
  /** The full viewer when the user has an organisation; only the account when these are their first. */
  me: Viewer | undefined
  account: Account
  invitations: InvitationForUser[]
  error?: string | undefined
  notice?: string | undefined
  location?: string | undefined
}

/** Where a user answers invitations to join organisations: nobody becomes a member without this step. */
export const InvitationsPage: FC<InvitationsPageProps> = ({ me, account, invitations, error, notice, location }) => (
  <Page title="Invitations" me={me} current="/invitations" location={location}>
    <h1>Invitations</h1>
    <p class="muted">Organisations that invited {account.email}. Accepting makes you a member with the role shown; nothing changes until you do.</p>
    <Flash error={error} notice={notice} />
    {invitations.length === 0 ? (
      <Empty>No pending invitations.{me ? null : ' You belong to no organisation yet: ask an Owner or Admin to invite you.'}</Empty>
    ) : (
      <ul class="stack plain">
        {invitations.map((i) => (
          <li class="card">
            <h2>{i.orgName}</h2>
            <p>
              Invites you as <strong>{roleNames[i.role]}</strong> (by {i.invitedBy}, <When at={i.createdAt} />; until <When at={i.expiresAt} />
              ).
            </p>
            <div class="buttons">
              <form method="post" action={`/invitations/${i.id}/accept`}>
                <Csrf token={account.csrf} />
                <button type="submit" class="primary" aria-label={`Accept the invitation to ${i.orgName}`}>
                  Accept
                </button>
              </form>
              <form method="post" action={`/invitations/${i.id}/decline`}>
                <Csrf token={account.csrf} />
                <button type="submit" aria-label={`Decline the invitation to ${i.orgName}`}>
                  Decline
                </button>
              </form>
            </div>
          </li>
        ))}
      </ul>
    )}
    {me ? null : (
      <form method="post" action="/logout">
        <Csrf token={account.csrf} />
        <button type="submit" class="link">
          Sign out
        </button>
      </form>
    )}
  </Page>
)
