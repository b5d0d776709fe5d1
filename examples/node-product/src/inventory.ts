/**
 * Acme Inventory's public API, declared as one Portico module: two operations, their table and
 * the event one of them emits. From this Portico derives the routes under /api/v1, validation,
 * scopes, rate limits, the catalog, the OpenAPI document and the MCP tools.
 */
import { randomUUID } from 'node:crypto'
import { ApiError, beforeCursor, decodeCursor, defineModule, defineOperation, orgIdOf, page, PaginationQuery, Timestamp, toPage, z } from 'portico'

const Item = z.object({
  id: z.uuid(),
  object: z.literal('item'),
  sku: z.string(),
  name: z.string(),
  quantity: z.number().int(),
  created_at: Timestamp,
})

interface ItemRow {
  id: string
  org_id: string
  sku: string
  name: string
  quantity: number
  created_at: string
}

const toItem = (row: ItemRow): z.infer<typeof Item> => ({ id: row.id, object: 'item', sku: row.sku, name: row.name, quantity: row.quantity, created_at: row.created_at })

export const listItems = defineOperation({
  id: 'items.list',
  method: 'get',
  path: '/items',
  tags: ['Inventory'],
  summary: 'List stock items',
  scope: 'read',
  query: PaginationQuery,
  output: page(Item),
  handler: async (input, ctx) => {
    let query = ctx.db.selectFrom('inventory_items').selectAll().where('org_id', '=', orgIdOf(ctx.principal))
    const cursor = decodeCursor(input.cursor)
    if (cursor) query = query.where(beforeCursor(cursor))
    const rows = (await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(input.limit + 1).execute()) as ItemRow[]
    return toPage(rows, input.limit, toItem)
  },
})

export const createItem = defineOperation({
  id: 'items.create',
  method: 'post',
  path: '/items',
  tags: ['Inventory'],
  summary: 'Add a stock item',
  scope: 'draft',
  status: 201,
  body: z.object({
    sku: z.string().trim().min(1).max(64).openapi({ example: 'WIDGET-42' }),
    name: z.string().trim().min(1).max(200).openapi({ example: 'Blue widget' }),
    quantity: z.number().int().min(0).max(1_000_000),
  }),
  output: Item,
  errors: ['conflict'],
  handler: (input, ctx) =>
    ctx.transaction(async (tx) => {
      const orgId = orgIdOf(ctx.principal)
      const taken = await tx.db.selectFrom('inventory_items').select('id').where('org_id', '=', orgId).where('sku', '=', input.sku).executeTakeFirst()
      if (taken) throw new ApiError('conflict', `An item with SKU ${input.sku} already exists`, { fields: { sku: 'is taken' } })
      const row: ItemRow = { id: randomUUID(), org_id: orgId, sku: input.sku, name: input.name, quantity: input.quantity, created_at: new Date().toISOString() }
      await tx.db.insertInto('inventory_items').values(row).execute()
      await tx.audit({ action: 'item.created', targetType: 'item', targetId: row.id, details: { sku: row.sku } })
      await tx.emit('item.created', toItem(row))
      return toItem(row)
    }),
})

export const inventory = defineModule({
  name: 'inventory',
  tags: [{ name: 'Inventory', description: 'Stock items of your Acme Inventory account.' }],
  operations: [listItems, createItem],
  events: [{ type: 'item.created', summary: 'A stock item was added', schema: Item }],
  migrations: {
    'inventory-001-items': {
      async up(db) {
        await db.schema
          .createTable('inventory_items')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('org_id', 'text', (c) => c.notNull())
          .addColumn('sku', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('quantity', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute()
        await db.schema.createIndex('inventory_items_org_sku').on('inventory_items').columns(['org_id', 'sku']).unique().execute()
        await db.schema.createIndex('inventory_items_org_created').on('inventory_items').columns(['org_id', 'created_at', 'id']).execute()
      },
    },
  },
})
