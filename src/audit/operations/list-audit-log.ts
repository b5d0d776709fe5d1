import { likeEscaped } from '../../core/list-search.js'
import { defineOperation } from '../../core/operation.js'
import { decodeCursor, page, PaginationQuery, toPage, beforeCursor } from '../../core/pagination.js'
import { orgIdOf } from '../../core/principal.js'
import { z, Timestamp, isoTimestamp } from '../../core/schema.js'
import type { AuditLogTable, CoreDb } from '../../storage/db.js'
import { sql } from 'kysely'

/** A day (`2026-06-12`) or an exact time; as a bound, a day means its start (`from`) or its end (`to`). */
const Moment = z.union([z.iso.date(), z.iso.datetime({ offset: true })])
const bound = (value: string, edge: 'from' | 'to') =>
  /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? new Date(Date.parse(`${value}T00:00:00Z`) + (edge === 'to' ? 86_400_000 : 0)).toISOString()
    : new Date(value).toISOString()

export const AuditQuery = PaginationQuery.extend({
  action: z
    .string()
    .trim()
    .max(100)
    .optional()
    .openapi({ description: 'Actions starting with this: `api_key` finds every `api_key.*`, `api_key.revoked` that one.' }),
  actor: z
    .string()
    .trim()
    .max(254)
    .optional()
    .openapi({ description: "Who did it: part of the actor's label (an e-mail, a key's name or prefix, `operator`), in any case, or their id." }),
  from: Moment.optional().openapi({ description: 'From this time on (a day: from its start), inclusive.' }),
  to: Moment.optional().openapi({ description: 'Before this time (a day: up to its end).' }),
}).superRefine((v, ctx) => {
  if (v.from && v.to && bound(v.from, 'from') >= bound(v.to, 'to')) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' })
})

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
  description:
    'Who minted, revoked, rolled or changed keys, webhooks and members, when and from where. Newest first. ' +
    'Filter by the start of the action (`action=api_key`), the actor (`actor=`) and a time range (`from`, `to`).',
  scope: 'admin',
  query: AuditQuery,
  output: page(AuditEntrySchema),
  handler: async (input, ctx) => {
    const db = ctx.db as CoreDb
    let query = db.selectFrom('audit_log').selectAll().where('org_id', '=', orgIdOf(ctx.principal))
    if (input.action) query = query.where(sql<boolean>`action like ${`${likeEscaped(input.action)}%`} escape '\\'`)
    if (input.actor) {
      const actor = input.actor
      query = query.where(sql<boolean>`(lower(actor_label) like ${`%${likeEscaped(actor.toLowerCase())}%`} escape '\\' or actor_id = ${actor})`)
    }
    if (input.from) query = query.where('created_at', '>=', bound(input.from, 'from'))
    if (input.to) query = query.where('created_at', '<', bound(input.to, 'to'))
    const cursor = decodeCursor(input.cursor)
    if (cursor) {
      query = query.where(beforeCursor(cursor))
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit + 1).execute()
    return toPage(rows, input.limit, toAuditView)
  },
})
