import { defineOperation } from '../../core/operation.js'
import { decodeCursor, page, PaginationQuery, toPage, beforeCursor } from '../../core/pagination.js'
import { orgIdOf } from '../../core/principal.js'
import { z, Timestamp, isoTimestamp } from '../../core/schema.js'
import type { AuditLogTable, CoreDb } from '../../storage/db.js'

export const AuditEntrySchema = z
  .object({
    id: z.uuid(),
    action: z.string().openapi({ example: 'api_key.revoked' }),
    actor: z.object({ type: z.string(), id: z.string().nullable(), label: z.string().nullable() }),
    target: z.object({ type: z.string(), id: z.string().nullable() }).nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    created_at: Timestamp,
  })
  .openapi('AuditEntry')

export function toAuditView(row: AuditLogTable): z.infer<typeof AuditEntrySchema> {
  return {
    id: row.id,
    action: row.action,
    actor: { type: row.actor_type, id: row.actor_id, label: row.actor_label },
    target: row.target_type ? { type: row.target_type, id: row.target_id } : null,
    ip: row.ip,
    user_agent: row.user_agent,
    request_id: row.request_id,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
    created_at: isoTimestamp(row.created_at)!,
  }
}

export const listAuditLog = defineOperation({
  id: 'audit_log.list',
  method: 'get',
  path: '/audit-log',
  tags: ['Audit log'],
  summary: 'List audit-log entries',
  description: 'Who minted, revoked, rolled or changed keys, webhooks and members, when and from where. Newest first.',
  scope: 'admin',
  query: PaginationQuery.extend({ action: z.string().max(100).optional().openapi({ description: 'Only this action, e.g. `api_key.revoked`.' }) }),
  output: page(AuditEntrySchema),
  handler: async (input, ctx) => {
    const db = ctx.db as CoreDb
    let query = db.selectFrom('audit_log').selectAll().where('org_id', '=', orgIdOf(ctx.principal))
    if (input.action) query = query.where('action', '=', input.action)
    const cursor = decodeCursor(input.cursor)
    if (cursor) {
      query = query.where(beforeCursor(cursor))
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit + 1).execute()
    return toPage(rows, input.limit, toAuditView)
  },
})
