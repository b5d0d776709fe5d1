import { defineOperation, orgIdOf, z } from '../../../src/index.js'
import { view } from '../documents.js'
import { deliverSigningLinks } from '../mail.js'
import { DocumentSchema, TemplateIdParams } from '../schemas.js'
import { generateFromTemplate, loadTemplate } from '../templates.js'

export const generateDocument = defineOperation({
  id: 'templates.generate',
  method: 'post',
  path: '/templates/{id}/generate',
  tags: ['Templates'],
  summary: 'Create a document from a template and send it',
  description:
    "Fills the template's recipient slots in order with `recipients` (a slot left out keeps the template's own person), places its fields and sends. " +
    "As with send, each recipient's `signing_url` is in this answer only.",
  scope: 'actions',
  limit: 'send',
  params: TemplateIdParams,
  body: z.object({
    title: z.string().trim().min(1).max(300).optional(),
    recipients: z.array(z.strictObject({ name: z.string().trim().min(1).max(200), email: z.email().max(254) })).max(50).optional(),
  }),
  output: DocumentSchema,
  errors: ['conflict'],
  secretFields: ['recipients.signing_url'],
  handler: async (input, ctx) => {
    const orgId = orgIdOf(ctx.principal)
    const sent = await ctx.transaction(async (tx) => {
      const template = await loadTemplate(tx.db, orgId, input.id)
      return generateFromTemplate(tx, template, input.title ?? template.title, input.recipients ?? [], ctx.publicUrl)
    })
    deliverSigningLinks({ log: ctx.log, mail: ctx.services.mail, db: ctx.db }, sent)
    return view(sent.loaded, sent.links)
  },
})
