import { defineOperation } from '../../core/operation.js'
import { orgIdOf } from '../../core/principal.js'
import { toWebhookWithSecret, WebhookWithSecretSchema } from '../schemas.js'
import { TAG, WebhookIdParams } from './params.js'
import '../services.js'

/**
 * The signing secret, as an action of its own that leaves a line in the audit log: whoever reads
 * it can forge deliveries. The dashboard reveals secrets only through it.
 */
export const revealSecret = defineOperation({
  id: 'webhooks.reveal_secret',
  method: 'post',
  path: '/webhooks/{id}/reveal-secret',
  tags: [TAG],
  summary: 'Reveal an endpoint secret, audited',
  description: 'Answers the endpoint with its signing secret, as `GET /webhooks/{id}` does, and records `webhook.secret_revealed` in the audit log.',
  scope: 'admin',
  params: WebhookIdParams,
  output: WebhookWithSecretSchema,
  status: 200,
  idempotent: false,
  secretFields: ['secret'],
  handler: async (input, ctx) => {
    const hook = toWebhookWithSecret(await ctx.services.webhooks.require(orgIdOf(ctx.principal), input.id))
    await ctx.audit({ action: 'webhook.secret_revealed', targetType: 'webhook', targetId: hook.id })
    return hook
  },
})
