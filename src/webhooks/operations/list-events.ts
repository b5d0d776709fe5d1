import { defineOperation } from '../../core/operation.js'
import { decodeCursor, page, PaginationQuery, toPage, beforeCursor } from '../../core/pagination.js'
import { orgIdOf } from '../../core/principal.js'
import { z, isoTimestamp } from '../../core/schema.js'
import { coreDb } from '../../storage/db.js'
import { EventSchema } from '../schemas.js'

export const listEvents = defineOperation({
  id: 'events.list',
  method: 'get',
  path: '/events',
  tags: ['Webhooks'],
  summary: 'List recent events',
  description: 'The same payloads webhooks carry, newest first: a fallback for clients that poll.',
  scope: 'read',
  query: PaginationQuery.extend({ type: z.string().max(100).optional() }),
  output: page(EventSchema),
  handler: async (input, ctx) => {
    let query = coreDb(ctx.db).selectFrom('events').selectAll().where('org_id', '=', orgIdOf(ctx.principal))
    if (input.type) query = query.where('type', '=', input.type)
    const cursor = decodeCursor(input.cursor)
    if (cursor) {
      query = query.where(beforeCursor(cursor))
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit + 1).execute()
    return toPage(rows, input.limit, (r) => ({ id: r.id, object: 'event' as const, type: r.type, timestamp: isoTimestamp(r.created_at)!, data: JSON.parse(r.data) as unknown }))
  },
})
