import { defineOperation } from '../../core/operation.js'
import { z } from '../../core/schema.js'
import { audienceOf } from '../../core/principal.js'
import { scopes } from '../../core/scopes.js'
import '../services.js'

const API_BASE = '/api/v1'

export const catalog = defineOperation({
  id: 'platform.catalog',
  method: 'get',
  path: '/catalog',
  tags: ['Platform'],
  summary: 'List operations and whether this key may call them',
  description: 'Every operation for your kind of key, with `callable` per its scopes: the quickest view of the API surface.',
  scope: null,
  audience: 'any',
  output: z
    .object({
      data: z.array(
        z.object({
          id: z.string(),
          method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
          path: z.string(),
          scope: z.enum(scopes).nullable(),
          limit_class: z.string(),
          cost: z.number().int().openapi({ description: 'Credits a request spends from a key with a balance.' }),
          summary: z.string(),
          callable: z.boolean(),
        }),
      ),
    })
    .openapi('Catalog'),
  handler: async (_input, ctx) => {
    const audience = audienceOf(ctx.principal)
    return {
      data: ctx.services.catalog
        .operations()
        .filter((op) => op.audience === audience || op.audience === 'any')
        .map((op) => ({
          id: op.id,
          method: op.method.toUpperCase() as 'GET',
          path: API_BASE + op.path,
          scope: op.scope,
          limit_class: op.limit,
          cost: op.cost,
          summary: op.summary,
          callable: ctx.services.catalog.isCallable(op, ctx.principal),
        })),
    }
  },
})
