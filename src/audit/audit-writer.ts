import { randomUUID } from 'node:crypto'
import type { AnyDb, AuditEntry, AuditWriter, RequestMeta } from '../core/context.js'
import { actorOf, ownOrgIdOf, type Principal } from '../core/principal.js'
import { now } from '../storage/db.js'

export const auditWriter: AuditWriter = {
  async write(db: AnyDb, principal: Principal | null, meta: RequestMeta, entry: AuditEntry) {
    const actor = entry.actor
      ? { actorType: entry.actor.type, actorId: entry.actor.id, actorLabel: entry.actor.label }
      : principal
        ? actorOf(principal)
        : { actorType: 'system', actorId: null, actorLabel: 'operator' }
    const resellerId = principal?.kind === 'reseller_key' ? principal.resellerId : null
    const orgId = entry.orgId === undefined ? (principal ? ownOrgIdOf(principal) : null) : entry.orgId
    await db
      .insertInto('audit_log')
      .values({
        id: randomUUID(),
        org_id: orgId,
        reseller_id: resellerId,
        actor_type: actor.actorType,
        actor_id: actor.actorId,
        actor_label: actor.actorLabel,
        action: entry.action,
        target_type: entry.targetType ?? null,
        target_id: entry.targetId ?? null,
        ip: meta.clientIp,
        user_agent: meta.userAgent?.slice(0, 512) ?? null,
        // Never the client's X-Request-Id: a client could otherwise write any id into the audit log.
        request_id: meta.serverRequestId,
        details: entry.details ? JSON.stringify(entry.details) : null,
        created_at: now(),
      })
      .execute()
  },
}
