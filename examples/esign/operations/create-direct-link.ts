import { ApiError, defineOperation, orgIdOf, Uuid, z } from '../../../src/index.js'
import { TemplateIdParams } from '../schemas.js'
import { esignDb } from '../tables.js'
import { loadTemplate, slotsOf } from '../templates.js'
import { hashToken, newToken } from '../tokens.js'

export const createDirectLink = defineOperation({
  id: 'templates.direct_link',
  method: 'post',
  path: '/templates/{id}/direct-link',
  tags: ['Templates'],
  summary: 'Get a public link that creates and signs a document',
  description:
    'Anyone with the link enters a name and e-mail, becomes the first SIGNER of a new document from the template (sent at once), and signs it. ' +
    'The link is shown in this answer only; asking again makes a new one and the previous one stops working.',
  scope: 'actions',
  params: TemplateIdParams,
  output: z.object({ url: z.string(), template_id: Uuid }),
  secretFields: ['url'],
  handler: async (input, ctx) =>
    ctx.transaction(async (tx) => {
      const orgId = orgIdOf(ctx.principal)
      const template = await loadTemplate(tx.db, orgId, input.id)
      const slots = slotsOf(template)
      if (slots[0]?.role !== 'SIGNER') throw new ApiError('validation_error', "The template's first recipient must be a SIGNER", { fields: { 'recipients[0].role': 'must be SIGNER' } })
      if (!slots[0].fields.some((f) => f.type === 'SIGNATURE')) {
        throw new ApiError('validation_error', "The template's first recipient has no SIGNATURE field", { fields: { 'recipients[0].fields': 'need a SIGNATURE field' } })
      }
      const token = newToken()
      await esignDb(tx.db).updateTable('esign_templates').set({ direct_link_hash: hashToken(token) }).where('id', '=', template.id).where('org_id', '=', orgId).execute()
      await tx.audit({ action: 'template.direct_link_created', targetType: 'template', targetId: template.id })
      return { url: `${ctx.publicUrl}/d/${token}`, template_id: template.id }
    }),
})
