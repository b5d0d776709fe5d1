import { defineOperation, orgIdOf } from '../../../src/index.js'
import { TemplateIdParams, TemplateSchema, toTemplateView } from '../schemas.js'
import { loadTemplate } from '../templates.js'

export const getTemplate = defineOperation({
  id: 'templates.get',
  method: 'get',
  path: '/templates/{id}',
  tags: ['Templates'],
  summary: 'Get a template',
  scope: 'read',
  params: TemplateIdParams,
  output: TemplateSchema,
  handler: async (input, ctx) => toTemplateView(await loadTemplate(ctx.db, orgIdOf(ctx.principal), input.id)),
})
