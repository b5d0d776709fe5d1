import type { AnyDb, AuditEntry, AuditWriter, EventOutbox, RequestMeta, TransactionScope } from './context.js'
import type { Principal } from './principal.js'

export interface TransactionDeps {
  db: AnyDb
  outbox: EventOutbox
  auditWriter: AuditWriter
}

/**
 * Runs `fn` in one database transaction whose events (outbox) and audit rows commit or roll back
 * with the change they describe. Shared by REST, MCP, pages, the dashboard and the CLI.
 */
export async function runInTransaction<T>(
  deps: TransactionDeps,
  principal: Principal | null,
  meta: RequestMeta,
  orgId: string | null,
  fn: (tx: TransactionScope) => Promise<T>,
): Promise<T> {
  const committed: (() => void)[] = []
  const result = await deps.db.transaction().execute(async (trx) => {
    const scope: TransactionScope = {
      db: trx,
      emit: async (type, data) => {
        if (!orgId) throw new Error(`event ${type} needs an organisation`)
        return deps.outbox.append(trx, { orgId, type, data })
      },
      audit: (entry: AuditEntry) => deps.auditWriter.write(trx, principal, meta, { orgId, ...entry }),
      afterCommit: (after) => void committed.push(after),
    }
    return fn(scope)
  })
  for (const after of committed) after()
  return result
}

export const systemMeta = (requestId = 'system'): RequestMeta => ({ requestId, serverRequestId: requestId, clientIp: 'local', userAgent: 'portico-cli' })
