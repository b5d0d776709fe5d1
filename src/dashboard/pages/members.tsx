import type { FC } from 'hono/jsx'
import type { MemberView } from '../../members/member-service.js'
import type { InvitationsTable } from '../../storage/db.js'
import { CopyField, Csrf, Empty, Flash, Page, TableHead, When, type Viewer } from '../layout.js'
import type { MemberFilter } from '../member-filter.js'
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
  /** The list's filter; `members` is already filtered, `total` counts them all. */
  filter?: MemberFilter
  total?: number
  /** Invitations sent to people who already have a Portico account, waiting for their answer. */
  invited?: Pick<InvitationsTable, 'id' | 'email' | 'name' | 'role' | 'created_at' | 'expires_at'>[]
  /** A one-time setup link just issued: shown in this answer only. */
  link?: { email: string; url: string | null; emailed?: boolean } | undefined
  error?: string | undefined
  notice?: string | undefined
  location?: string | undefined
}

const MemberSearch: FC<{ filter: MemberFilter; shown: number; total: number }> = ({ filter, shown, total }) => (
  <form method="get" action="/members" class="toolbar" role="search">
    <div class="search">
      <label for="member-search" class="sr-only">
        Search members
      </label>
      <input id="member-search" type="search" name="q" value={filter.q} maxlength={254} placeholder="Name or e-mail" />
    </div>
    <label for="member-role" class="sr-only">
      Show the role
    </label>
    <select id="member-role" name="role">
      <option value="">Any role</option>
      {(['owner', 'admin', 'member'] as const).map((r) => (
        <option value={r} selected={filter.role === r}>
          {roleNames[r]}
        </option>
      ))}
    </select>
    <label for="member-status" class="sr-only">
      Show the status
    </label>
    <select id="member-status" name="status">
      <option value="">Any status</option>
      <option value="active" selected={filter.status === 'active'}>
        Active
      </option>
      <option value="invited" selected={filter.status === 'invited'}>
        Invited
      </option>
    </select>
    <button type="submit">Filter</button>
    {filter.q || filter.role || filter.status ? (
      <span class="muted small-text">
        {shown} of {total} · <a href="/members">Clear</a>
      </span>
    ) : null}
  </form>
)

export const MembersPage: FC<MembersPageProps> = ({ me, members, filter, total, invited = [], link, error, notice, location }) => {
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
      {filter ? <MemberSearch filter={filter} shown={members.length} total={total ?? members.length} /> : null}
      {members.length === 0 ? <Empty>No members match this filter.</Empty> : null}
      <div class="table-wrap" hidden={members.length === 0}>
        <table class="cards">
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
                  <td data-label="E-mail">{m.email}</td>
                  <td data-label="Role">
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
                  <td data-label="Status">
                    <span class={`badge ${m.status === 'active' ? 'active' : 'pending'}`}>{m.status}</span>
                  </td>
                  <td data-label="Since">
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
