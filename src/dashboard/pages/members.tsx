import type { FC } from 'hono/jsx'
import type { MemberView } from '../../members/member-service.js'
import type { InvitationsTable } from '../../storage/db.js'
import { CopyField, Csrf, Flash, Page, TableHead, When, type Viewer } from '../layout.js'
import { PostButton, type Question } from './confirm.js'

export const removeQuestion = (m: { name: string; email: string }, orgName: string): Question => ({
  title: `Remove ${m.name}?`,
  message: `${m.email} loses access to ${orgName} at once.`,
  action: 'Remove member',
})

const roleNames = { owner: 'Owner', admin: 'Admin', member: 'Member' } as const

interface MembersPageProps {
  me: Viewer & { canManage: boolean }
  members: MemberView[]
  /** Invitations sent to people who already have a Portico account, waiting for their answer. */
  invited?: Pick<InvitationsTable, 'id' | 'email' | 'name' | 'role' | 'created_at' | 'expires_at'>[]
  /** A one-time setup link just issued: shown in this answer only. */
  link?: { email: string; url: string | null; emailed?: boolean } | undefined
  error?: string | undefined
  notice?: string | undefined
  location?: string | undefined
}

export const MembersPage: FC<MembersPageProps> = ({ me, members, invited = [], link, error, notice, location }) => {
  const isOwner = me.session.role === 'owner'
  return (
    <Page title="Members" me={me} current="/members" location={location}>
      <h1>Members</h1>
      <p class="muted">Owners and Admins manage keys, webhooks and members; Members can look but not change anything.</p>
      <Flash error={error} notice={notice} />
      {link ? (
        <div class="card reveal" role="status">
          <h2>Invitation for {link.email}</h2>
          {link.emailed ? (
            <p>
              {link.url ? 'A one-time link to choose a password (valid for 7 days) was e-mailed to' : 'The invitation was e-mailed to'} {link.email}.
              {link.url ? null : ' They become a member once they accept it while signed in.'}
            </p>
          ) : link.url ? (
            <>
              <p class="warn">Send them this one-time link (valid for 7 days) to choose a password. It is not shown again.</p>
              <CopyField id="invite-link" label="Invitation link" value={link.url} primary />
            </>
          ) : (
            <p>
              {link.email} already has a Portico account, so no link is needed: the invitation waits for them to accept it when they sign in. They
              become a member once they do.
            </p>
          )}
        </div>
      ) : null}
      {me.canManage ? (
        <form method="post" action="/members" class="card inline">
          <Csrf token={me.session.csrf} />
          <div class="field">
            <label for="m-name">Name</label>
            <input id="m-name" name="name" required maxlength={200} autocomplete="off" />
          </div>
          <div class="field grow">
            <label for="m-email">E-mail</label>
            <input id="m-email" name="email" type="email" required maxlength={254} autocomplete="off" />
          </div>
          <div class="field">
            <label for="m-role">Role</label>
            <select id="m-role" name="role">
              <option value="member">Member</option>
              <option value="admin">Admin</option>
              {isOwner ? <option value="owner">Owner</option> : null}
            </select>
          </div>
          <button type="submit" class="primary">
            Invite
          </button>
        </form>
      ) : null}
      <div class="table-wrap">
        <table>
          <caption class="sr-only">Members of {me.org.name}</caption>
          <TableHead columns={['Name', 'E-mail', 'Role', 'Status', 'Since']} actions={me.canManage} />
          <tbody>
            {members.map((m) => {
              const self = m.user_id === me.session.userId
              const editable = me.canManage && !self && (isOwner || m.role !== 'owner')
              return (
                <tr>
                  <th scope="row">
                    {m.name}
                    {self ? <span class="muted"> (you)</span> : null}
                  </th>
                  <td>{m.email}</td>
                  <td>
                    {editable ? (
                      <form method="post" action={`/members/${m.user_id}/role`} class="inline-form">
                        <Csrf token={me.session.csrf} />
                        <label for={`role-${m.user_id}`} class="sr-only">
                          Role of {m.name}
                        </label>
                        <select id={`role-${m.user_id}`} name="role">
                          {(['member', 'admin', 'owner'] as const)
                            .filter((r) => isOwner || r !== 'owner')
                            .map((r) => (
                              <option value={r} selected={r === m.role}>
                                {roleNames[r]}
                              </option>
                            ))}
                        </select>
                        <button type="submit" class="small">
                          Save
                        </button>
                      </form>
                    ) : (
                      roleNames[m.role]
                    )}
                  </td>
                  <td>
                    <span class={`badge ${m.status === 'active' ? 'active' : 'pending'}`}>{m.status}</span>
                  </td>
                  <td>
                    <When at={m.created_at} />
                  </td>
                  {me.canManage ? (
                    <td class="actions">
                      {editable && m.status === 'invited' ? (
                        <PostButton me={me} action={`/members/${m.user_id}/link`} class="small">
                          New link
                        </PostButton>
                      ) : null}
                      {editable ? (
                        <PostButton
                          me={me}
                          action={`/members/${m.user_id}/remove`}
                          class="small danger"
                          label={`Remove ${m.name}`}
                          confirm={removeQuestion(m, me.org.name)}
                        >
                          Remove
                        </PostButton>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
      {invited.length > 0 ? (
        <div class="table-wrap">
          <h2>Invitations awaiting an answer</h2>
          <table>
            <caption class="sr-only">Pending invitations to {me.org.name}</caption>
            <TableHead columns={['Name', 'E-mail', 'Role', 'Sent', 'Expires']} actions={me.canManage} />
            <tbody>
              {invited.map((i) => (
                <tr>
                  <th scope="row">{i.name}</th>
                  <td>{i.email}</td>
                  <td>{roleNames[i.role]}</td>
                  <td>
                    <When at={i.created_at} />
                  </td>
                  <td>
                    <When at={i.expires_at} />
                  </td>
                  {me.canManage ? (
                    <td class="actions">
                      <PostButton me={me} action={`/members/invitations/${i.id}/cancel`} class="small danger" label={`Withdraw the invitation for ${i.email}`}>
                        Withdraw
                      </PostButton>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Page>
  )
}
