import { ApiError } from '../../core/errors.js'
import { defineOperation } from '../../core/operation.js'
import { z, Timestamp, Uuid, isoTimestamp } from '../../core/schema.js'
import { toValidationError } from '../../runtime/validate-input.js'
import '../services.js'
import '../../orgs/services.js'

export const postEvent = defineOperation({
  id: 'platform.post_event',
  method: 'post',
  path: '/platform/events',
  tags: ['Service keys'],
  summary: "Record an event for an organisation's webhooks",
  description:
    "With a service key: writes an event the product declares (a module's, or an upstream's `events`) to the outbox, as the product's own changes do: " +
    "it goes to the organisation's webhook endpoints subscribed to it, signed and retried, and to `GET /events`. `data` must match the event's schema " +
    '(in the `webhooks` section). An undeclared type is 400 `validation_error`; an unknown organisation 404.',
  audience: 'service',
  scope: 'actions',
  limit: 'platform',
  body: z.object({
    org_id: Uuid.openapi({ description: 'The organisation the event belongs to (`Portico-Org-Id` on a forwarded request).' }),
    type: z.string().min(1).max(100).openapi({ example: 'kb.document_indexed' }),
    data: z.record(z.string(), z.unknown()).openapi({ description: "The event's payload: a JSON object, at most 1 MB with the rest of the body." }),
  }),
  status: 202,
  errors: ['not_found', 'organization_suspended'],
  output: z
    .object({ id: Uuid, object: z.literal('event'), org_id: Uuid, type: z.string(), timestamp: Timestamp, data: z.unknown() })
    .openapi('PostedEvent'),
  handler: async (input, ctx) => {
    const spec = ctx.services.platformEvents.postable().find((e) => e.type === input.type)
    if (!spec) {
      const known = ctx.services.platformEvents.postable().map((e) => e.type)
      throw new ApiError('validation_error', `type "${input.type}" is not a declared event`, {
        fields: { type: known.length ? `is not a declared event (${known.join(', ')})` : 'is not a declared event (this deployment declares none)' },
      })
    }
    const parsed = spec.schema.safeParse(input.data)
    if (!parsed.success) throw toValidationError(parsed.error, input.data, ['data'])
    const org = await ctx.services.orgs.get(input.org_id)
    if (!org) throw new ApiError('not_found', 'Organisation not found')
    if (org.status === 'suspended') throw new ApiError('organization_suspended', 'The organisation is suspended: no events are recorded for it until it is resumed')
    const event = await ctx.transaction(
      async (tx) => {
        const emitted = await tx.emit(input.type, parsed.data)
        await tx.audit({ action: 'event.posted', targetType: 'event', targetId: emitted.id, details: { type: input.type } })
        return emitted
      },
      { orgId: org.id },
    )
    return { id: event.id, object: 'event' as const, org_id: org.id, type: input.type, timestamp: isoTimestamp(event.created_at)!, data: parsed.data }
  },
})
