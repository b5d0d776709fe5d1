import { describe, expect, it } from 'vitest'
import { auditWriter } from '../audit/audit-writer.js'
import { runInTransaction, systemMeta } from '../core/transaction.js'
import { TransactionalOutbox } from '../events/outbox.js'
import { startServer } from '../../test/harness.js'

describe('provisioning an e-mail that already has a password', () => {
  it('adds the membership without a setup link, so it cannot take the account over', async () => {
    const server = await startServer()
    try {
      const { orgId } = await server.createOrg('Victim org')
      const members = server.portico.services.members
      const db = server.portico.database.db
      const tx = <T,>(fn: Parameters<typeof runInTransaction<T>>[4]) =>
        runInTransaction<T>({ db, outbox: new TransactionalOutbox(), auditWriter }, null, systemMeta(), orgId, fn)
      const first = await tx((t) => members.provision(t, orgId, { email: 'victim@example.com', name: 'Victim', role: 'owner' }))
      const token = first.setupUrl!.split('/').pop()!
      expect(await members.completeSetup(token, 'correct horse battery staple')).toBeDefined()
      // Another organisation provisions the same address: no link, and old links are dead.
      const other = await server.createOrg('Attacker org')
      const second = await runInTransaction({ db, outbox: new TransactionalOutbox(), auditWriter }, null, systemMeta(), other.orgId, (t) =>
        members.provision(t, other.orgId, { email: 'Victim@example.com', name: 'Someone', role: 'member' }),
      )
      expect(second.setupUrl).toBeNull()
      expect(await members.completeSetup(token, 'attacker password')).toBeUndefined()
      const link = await tx((t) => members.issueSetupLink(t, orgId, first.member.user_id))
      expect(await members.findSetupLink(link.url.split('/').pop()!)).toBeUndefined()
      expect(await members.completeSetup(link.url.split('/').pop()!, 'attacker password')).toBeUndefined()
    } finally {
      await server.close()
    }
  })
})
