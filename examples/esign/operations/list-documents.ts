import { beforeCursor, decodeCursor, defineOperation, orgIdOf, page, PaginationQuery, toPage } from '../../../src/index.js'
import { DocumentSummarySchema, StatusSchema, toDocumentSummary } from '../schemas.js'
import { esignDb } from '../tables.js'

export const listDocuments = defineOperation({
  id: 'documents.list',
  method: 'get',
  path: '/documents',
  tags: ['Documents'],
  summary: 'List documents',
  description: 'Newest first. `status` keeps one state: DRAFT, PENDING, COMPLETED or DECLINED. Recipients and fields are on `GET /documents/{id}`.',
  scope: 'read',
  query: PaginationQuery.extend({ status: StatusSchema.optional() }),
  output: page(DocumentSummarySchema),
  handler: async (input, ctx) => {
    let query = esignDb(ctx.db)
      .selectFrom('esign_documents')
      .select(['id', 'title', 'status', 'file_name', 'page_count', 'template_id', 'created_at', 'updated_at', 'sent_at', 'completed_at'])
      .where('org_id', '=', orgIdOf(ctx.principal))
    if (input.status) query = query.where('status', '=', input.status)
    const cursor = decodeCursor(input.cursor)
    if (cursor) query = query.where(beforeCursor(cursor))
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit + 1).execute()
    return toPage(rows, input.limit, toDocumentSummary)
  },
})
