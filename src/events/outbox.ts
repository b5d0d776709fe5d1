import { randomUUID } from 'node:crypto'
import type { AnyDb, EventOutbox } from '../core/context.js'
import { now } from '../storage/db.js'

export interface OutboxEvent {
  id: string
  org_id: string
  type: string
  data: string
  created_at: string
}

type Listener = (db: AnyDb, event: OutboxEvent) => Promise<void>

/**
 * Writes each event in the caller's transaction. Listeners run in that same transaction, so
 * whatever they add (webhook deliveries) lands or vanishes with the change itself.
 */
export class TransactionalOutbox implements EventOutbox {
  readonly #listeners: Listener[] = []

  onAppend(listener: Listener): void {
    this.#listeners.push(listener)
  }

  async append(db: AnyDb, event: { orgId: string; type: string; data: unknown }): Promise<OutboxEvent> {
    const row: OutboxEvent = {
      id: randomUUID(),
      org_id: event.orgId,
      type: event.type,
      data: JSON.stringify(event.data),
      created_at: now(),
    }
    await db.insertInto('events').values(row).execute()
    for (const listener of this.#listeners) await listener(db, row)
    return row
  }
}
