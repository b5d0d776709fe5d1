import { beforeCursor, decodeCursor, defineOperation, orgIdOf, page, PaginationQuery, toPage } from '../../../src/index.js'
import { TemplateSchema, toTemplateView } from '../schemas.js'
import { esignDb } from '../tables.js'

export const listTemplates = defineOperation({
  id: 'templates.list',
  method: 'get',
  path: '/templates',
  tags: ['Templates'],
  summary: 'List templates',
  scope: 'read',
  query: PaginationQuery,
  output: page(TemplateSchema),
  handler: async (input, ctx) => {
    let query = esignDb(ctx.db)
      .selectFrom('esign_templates')
      .select(['id', 'title', 'file_name', 'page_count', 'slots', 'direct_link_hash', 'created_at'])
      .where('org_id', '=', orgIdOf(ctx.principal))
    const cursor = decodeCursor(input.cursor)
    if (cursor) query = query.where(beforeCursor(cursor))
    return toPage(await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit + 1).execute(), input.limit, toTemplateView)
  },
})
