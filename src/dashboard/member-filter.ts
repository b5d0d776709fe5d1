import type { MemberView } from '../members/member-service.js'

/** The members list's filter, as the address gives it (`?q=&role=&status=`); empty means any. */
export interface MemberFilter {
  q: string
  role: '' | MemberView['role']
  status: '' | MemberView['status']
}

const roles = ['owner', 'admin', 'member'] as const
const statuses = ['active', 'invited'] as const

export function memberFilterOf(query: (name: string) => string | undefined): MemberFilter {
  const role = query('role') ?? ''
  const status = query('status') ?? ''
  return {
    q: (query('q') ?? '').trim().slice(0, 254),
    role: (roles as readonly string[]).includes(role) ? (role as MemberFilter['role']) : '',
    status: (statuses as readonly string[]).includes(status) ? (status as MemberFilter['status']) : '',
  }
}

/** Members whose name or e-mail contains `q` (any case), with that role and status. */
export function filterMembers<M extends Pick<MemberView, 'name' | 'email' | 'role' | 'status'>>(members: M[], filter: MemberFilter): M[] {
  const q = filter.q.toLowerCase()
  return members.filter(
    (m) =>
      (!q || m.name.toLowerCase().includes(q) || m.email.toLowerCase().includes(q)) &&
      (!filter.role || m.role === filter.role) &&
      (!filter.status || m.status === filter.status),
  )
}
