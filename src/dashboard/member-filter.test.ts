import { describe, expect, it } from 'vitest'
import { filterMembers, memberFilterOf } from './member-filter.js'

describe('members filter', () => {
  const people = [
    { name: 'Olive Owner', email: 'olive@acme.example', role: 'owner', status: 'active' },
    { name: 'Ada Admin', email: 'ada@acme.example', role: 'admin', status: 'invited' },
    { name: 'Max Member', email: 'max@globex.example', role: 'member', status: 'active' },
  ] as const
  const names = (query: Record<string, string>) => filterMembers([...people], memberFilterOf((n) => query[n])).map((m) => m.name)

  it('searches names and e-mails in any case, and filters by role and status', () => {
    expect(names({ q: 'OLIVE' })).toEqual(['Olive Owner'])
    expect(names({ q: 'globex' })).toEqual(['Max Member'])
    expect(names({ role: 'admin' })).toEqual(['Ada Admin'])
    expect(names({ status: 'active' })).toEqual(['Olive Owner', 'Max Member'])
    expect(names({ q: 'acme', status: 'active' })).toEqual(['Olive Owner'])
    expect(names({})).toHaveLength(3)
  })

  it('ignores a role or status it does not know rather than hiding everyone', () => {
    expect(memberFilterOf((n) => ({ role: 'root', status: 'x' })[n])).toEqual({ q: '', role: '', status: '' })
  })
})
