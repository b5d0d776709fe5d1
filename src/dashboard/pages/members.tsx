import type { FC } from 'hono/jsx'
import type { MemberView } from '../../members/member-service.js'
import { Csrf, Flash, Page, when } from '../layout.js'
import type { Session } from '../session-store.js'

export const MembersPage: FC<{ session: Session; orgName: string; members: MemberView[]; canManage: boolean; invited?: { email: string; url: string | null } | undefined; error?: string | undefined }> = ({
  session,
  orgName,
  members,
  canManage,
  invited,
  error,
}) => (
  <Page title="Members" session={session} current="/members" orgName={orgName}>
    <h1>Members</h1>
    <p class="muted">Owners and Admins manage keys, webhooks and members; Members can look but not change anything.</p>
    <Flash error={error} />
    {invited ? (
      <div class="card reveal" role="status">
        <h2>{invited.email} was added</h2>
        {invited.url ? (
          <>
            <p class="warn">Send them this one-time link to choose a password. It is not shown again.</p>
            <div class="copy">
              <input id="invite-link" readonly value={invited.url} aria-label="Invitation link" />
              <button type="button" class="primary" data-copy="#invite-link">
                Copy
              </button>
            </div>
          </>
        ) : (
          <p>They already have a password and can sign in now.</p>
        )}
      </div>
    ) : null}
    {canManage ? (
      <form method="post" action="/members" class="card inline">
        <Csrf token={session.csrf} />
        <label for="m-name">Name</label>
        <input id="m-name" name="name" required maxlength={200} />
        <label for="m-email">E-mail</label>
        <input id="m-email" name="email" type="email" required />
        <label for="m-role">Role</label>
        <select id="m-role" name="role">
          <option value="member">Member</option>
          <option value="admin">Admin</option>
          <option value="owner">Owner</option>
        </select>
        <button type="submit" class="primary">
          Invite
        </button>
      </form>
    ) : null}
    <table>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">E-mail</th>
          <th scope="col">Role</th>
          <th scope="col">Status</th>
          <th scope="col">Since</th>
        </tr>
      </thead>
      <tbody>
        {members.map((m) => (
          <tr>
            <td>{m.name}</td>
            <td>{m.email}</td>
            <td>{m.role}</td>
            <td>{m.status}</td>
            <td>{when(m.created_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </Page>
)
