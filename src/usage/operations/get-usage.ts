import { defineOperation } from '../../core/operation.js'
import { orgIdOf } from '../../core/principal.js'
import { z } from '../../core/schema.js'
import { coreDb } from '../../storage/db.js'

export const UsageSchema = z
  .object({
    from: z.string().openapi({ description: 'First UTC day included, YYYY-MM-DD.' }),
    to: z.string(),
    data: z.array(
      z.object({
        key_id: z.uuid(),
        key_prefix: z.string().nullable(),
        key_name: z.string().nullable(),
        day: z.string(),
        outcome: z.enum(['2xx', '4xx', '429', '5xx']),
        count: z.number().int(),
      }),
    ),
  })
  .openapi('Usage')

export const getUsage = defineOperation({
  id: 'usage.get',
  method: 'get',
  path: '/usage',
  tags: ['Usage'],
  summary: 'Requests per key per day by outcome',
  description: 'Counts of 2xx, 4xx, 429 and 5xx answers per key and UTC day; recent requests appear within a few seconds.',
  scope: 'admin',
  query: z.object({
    days: z.coerce.number().int().min(1).max(90).default(30).openapi({ description: 'How many UTC days back, today included (1–90).' }),
    key_id: z.uuid().optional().openapi({ description: 'Only this key.' }),
  }),
  output: UsageSchema,
  handler: async (input, ctx) => {
    const to = new Date()
    const from = new Date(to.getTime() - (input.days - 1) * 86_400_000)
    const day = (d: Date) => d.toISOString().slice(0, 10)
    let query = coreDb(ctx.db)
      .selectFrom('usage_daily')
      .leftJoin('api_keys', (j) => j.onRef('api_keys.id', '=', 'usage_daily.key_id').onRef('api_keys.org_id', '=', 'usage_daily.org_id'))
      .select(['usage_daily.key_id', 'usage_daily.day', 'usage_daily.outcome', 'usage_daily.count', 'api_keys.prefix', 'api_keys.name'])
      .where('usage_daily.org_id', '=', orgIdOf(ctx.principal))
      .where('usage_daily.day', '>=', day(from))
    if (input.key_id) query = query.where('usage_daily.key_id', '=', input.key_id)
    const rows = await query.orderBy('usage_daily.day').orderBy('usage_daily.key_id').orderBy('usage_daily.outcome').execute()
    return {
      from: day(from),
      to: day(to),
      data: rows.map((r) => ({ key_id: r.key_id, key_prefix: r.prefix, key_name: r.name, day: r.day, outcome: r.outcome, count: Number(r.count) })),
    }
  },
})
