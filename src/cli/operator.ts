import type { TransactionScope } from '../core/context.js'
import { runInTransaction, systemMeta } from '../core/transaction.js'
import { auditWriter } from '../audit/audit-writer.js'
import { TransactionalOutbox } from '../events/outbox.js'
import type { DatabaseHandle } from '../storage/db.js'

/** A change made by the operator at the command line: audited with no principal, from `local`. */
export function operatorTransaction<T>(database: DatabaseHandle, orgId: string | null, fn: (tx: TransactionScope) => Promise<T>): Promise<T> {
  return runInTransaction(transactionDeps(database), null, systemMeta(), orgId, fn)
}

export const transactionDeps = (database: DatabaseHandle) => ({ db: database.db, outbox: new TransactionalOutbox(), auditWriter })

/** A refusal the operator can act on: printed as one line, exit code 1. */
export class Refused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'Refused'
  }
}
