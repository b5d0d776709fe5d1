import type { Context, Hono } from 'hono'
import { ApiError } from '../core/errors.js'
import type { HttpEnv } from '../http/env.js'
import { formText, type DashboardKit, type SignedIn } from './kit.js'
import { Empty, Page, searchOf } from './layout.js'
import { ConfirmPage, type Question } from './pages/confirm.js'
import { DeliveryPage, type Attempt, type DeliveryDetail } from './pages/delivery.js'
import { ForRolePage, type EventRow } from './pages/for-role.js'
import { deleteQuestion, rotateQuestion, WebhookPage, type Delivery } from './pages/webhook.js'
import { WebhooksPage, type Hook } from './pages/webhooks.js'

type Ctx = Context<HttpEnv>
type Extra = { secret?: string; notice?: string; error?: string; editing?: { url: string; description: string; events: string[] } }
type HookWithSecret = Hook & { secret: string }

/**
 * Webhooks through the webhooks operations by id only (`webhooks.list`, `…get`, `…deliveries`, `…delivery_attempts`,
 * `…delivery_get`, `…create`, `…update`, `…delete`, `…rotate_secret`, `…reveal_secret`, `…test`, `…retry_delivery`), so the page
 * follows whatever those operations allow; a deployment without them gets a plain notice.
 */
export function webhookRoutes(kit: DashboardKit) {
  /** A Member (`read`) sees the events webhooks carry, through `events.list`, and no endpoint or secret. */
  const forRole = async (c: Ctx, me: SignedIn, error?: string, status = 200) => {
    const events = kit.can(me, 'events.list') ? (await kit.view<{ data: EventRow[] }>(c, me, 'events.list', { query: { limit: '20' } })).data : undefined
    const needs = 'Webhook endpoints, their deliveries and signing secrets are managed with the admin scope.'
    return kit.html(c, <ForRolePage me={me} title="Webhooks" current="/webhooks" needs={needs} events={events} error={error} />, status)
  }
  /** The event types an endpoint can choose (the test event goes to one endpoint on request, never by subscription). */
  const eventTypes = async (c: Ctx, me: SignedIn) =>
    kit.has('webhooks.event_types') ? (await kit.view<{ data: { type: string; summary: string }[] }>(c, me, 'webhooks.event_types')).data.filter((t) => t.type !== 'webhook.test') : []

  const listPage = async (c: Ctx, me: SignedIn, error?: string, status = 200) => {
    if (!kit.can(me, 'webhooks.list')) return forRole(c, me, error, status)
    const cursor = c.req.method === 'GET' ? c.req.query('cursor') : undefined
    const q = searchOf(c.req.method, (name) => c.req.query(name))
    const hooks = await kit.view<{ data: Hook[]; next_cursor: string | null }>(c, me, 'webhooks.list', { query: { limit: '50', ...(cursor ? { cursor } : {}), ...(q ? { q } : {}) } })
    return kit.html(c, <WebhooksPage me={me} hooks={hooks.data} q={q} nextCursor={hooks.next_cursor} eventTypes={await eventTypes(c, me)} error={error} />, status)
  }

  /** The events a form chose: all, or the ticked ones (none ticked is refused, as on the API). */
  const chosenEvents = (me: SignedIn) => {
    const events = formText(me.form, 'events_mode') === 'some' ? me.form.getAll('events').map(String) : ['*']
    if (events.length === 0) throw new ApiError('validation_error', 'Choose at least one event, or all events', { fields: { events: 'is empty' } })
    return events
  }

  const hookPage = async (c: Ctx, me: SignedIn, id: string, extra: Extra = {}, status = 200) => {
    if (!kit.can(me, 'webhooks.get')) return forRole(c, me, extra.error, status)
    // `webhooks.get` answers the secret too (the API's contract); the page renders one only when
    // `extra.secret` holds it: just created, rotated, or revealed through the audited operation.
    const { secret: _secret, ...hook } = await kit.view<HookWithSecret>(c, me, 'webhooks.get', { params: { id } })
    const cursor = c.req.method === 'GET' ? c.req.query('cursor') : undefined
    const deliveries = await kit.view<{ data: Delivery[]; next_cursor: string | null }>(c, me, 'webhooks.deliveries', { params: { id }, query: { limit: '50', ...(cursor ? { cursor } : {}) } })
    const location = c.req.method === 'POST' ? `/webhooks/${id}` : undefined
    const types = me.canManage ? await eventTypes(c, me) : []
    return kit.html(
      c,
      <WebhookPage me={me} hook={hook} deliveries={deliveries.data} eventTypes={types} nextCursor={deliveries.next_cursor} location={location} {...extra} />,
      status,
    )
  }

  /** A change on one endpoint, then its page with a notice, or the reason it failed. */
  const onHook = (name: string, fn: (c: Ctx, me: SignedIn, id: string) => Promise<Extra | Response>) =>
    kit.signedIn(async (c, me) => {
      const id = c.req.param('id')!
      if (!kit.has('webhooks.get')) return notMounted(c, me)
      try {
        const extra = await fn(c, me, id)
        return extra instanceof Response ? extra : await hookPage(c, me, id, extra)
      } catch (error) {
        const { message, status } = kit.failure(error)
        try {
          return await hookPage(c, me, id, { error: `Could not ${name}: ${message}` }, status)
        } catch (again) {
          // No such endpoint here (or no valid id): the list, with the reason.
          return listPage(c, me, kit.failure(again).message, status)
        }
      }
    })

  const notMounted = (c: Ctx, me: SignedIn) =>
    kit.html(
      c,
      <Page title="Webhooks" me={me} current="/webhooks">
        <h1>Webhooks</h1>
        <Empty>No webhooks capability is mounted in this deployment.</Empty>
      </Page>,
    )

  const confirmed = (c: Ctx, me: SignedIn, question: Question) =>
    me.canManage && me.form.get('confirmed') !== '1'
      ? kit.html(c, <ConfirmPage me={me} current="/webhooks" confirm={{ ...question, href: c.req.path, back: `/webhooks/${c.req.param('id')}` }} />)
      : undefined

  return function mountWebhooks(app: Hono<HttpEnv>): void {
    app.get(
      '/webhooks',
      kit.signedIn(async (c, me) => {
        if (!kit.has('webhooks.list')) return notMounted(c, me)
        try {
          return await listPage(c, me)
        } catch (error) {
          const { message, status } = kit.failure(error)
          return kit.html(c, <WebhooksPage me={me} hooks={[]} eventTypes={[]} error={message} />, status)
        }
      }),
    )

    app.post(
      '/webhooks',
      kit.limit,
      kit.signedIn(async (c, me) => {
        if (!kit.has('webhooks.create')) return notMounted(c, me)
        try {
          const events = chosenEvents(me)
          const body = { url: formText(me.form, 'url'), events, description: formText(me.form, 'description') }
          const created = await kit.act<HookWithSecret>(c, me, 'webhooks.create', { body })
          return await hookPage(c, me, created.id, { secret: created.secret, notice: 'Endpoint added. Verify deliveries with this signing secret.' }, 201)
        } catch (error) {
          const { message, status } = kit.failure(error)
          return listPage(c, me, message, status)
        }
      }),
    )

    app.get(
      '/webhooks/:id',
      onHook('load the endpoint', async () => ({})),
    )
    app.post(
      '/webhooks/:id/reveal',
      kit.limit,
      onHook('reveal the secret', async (c, me, id) => {
        if (!me.canManage) throw new ApiError('insufficient_scope', 'Only Owners and Admins can see the signing secret')
        // Its own operation, audited: reading the secret lets the reader forge deliveries.
        const hook = await kit.act<HookWithSecret>(c, me, 'webhooks.reveal_secret', { params: { id } })
        return { secret: hook.secret }
      }),
    )
    app.post(
      '/webhooks/:id/rotate',
      kit.limit,
      onHook('rotate the secret', async (c, me, id) => {
        const stop = confirmed(c, me, rotateQuestion)
        if (stop) return stop
        const hook = await kit.act<HookWithSecret>(c, me, 'webhooks.rotate_secret', { params: { id }, body: { grace_period_seconds: 86_400 } })
        return { secret: hook.secret, notice: 'New signing secret. The old one keeps signing for 24 hours.' }
      }),
    )
    app.post(
      '/webhooks/:id/test',
      kit.limit,
      onHook('send a test event', async (c, me, id) => {
        await kit.act(c, me, 'webhooks.test', { params: { id } })
        return { notice: 'Test event queued; it appears below once sent.' }
      }),
    )
    for (const [verb, enabled] of [
      ['enable', true],
      ['disable', false],
    ] as const) {
      app.post(
        `/webhooks/:id/${verb}`,
        kit.limit,
        onHook(`${verb} the endpoint`, async (c, me, id) => {
          await kit.act(c, me, 'webhooks.update', { params: { id }, body: { enabled } })
          return { notice: enabled ? 'Endpoint enabled.' : 'Endpoint disabled: nothing is delivered to it until it is enabled again.' }
        }),
      )
    }
    // URL, description and events through `webhooks.update` (PATCH /webhooks/{id}); a refusal keeps what was typed.
    app.post(
      '/webhooks/:id/edit',
      kit.limit,
      kit.signedIn(async (c, me) => {
        const id = c.req.param('id')!
        if (!kit.has('webhooks.update')) return notMounted(c, me)
        const typed = { url: formText(me.form, 'url'), description: formText(me.form, 'description'), events: me.form.getAll('events').map(String) }
        const editing = { ...typed, events: formText(me.form, 'events_mode') === 'some' ? typed.events : ['*'] }
        try {
          await kit.act(c, me, 'webhooks.update', { params: { id }, body: { url: typed.url, description: typed.description, events: chosenEvents(me) } })
          return await hookPage(c, me, id, { notice: 'Endpoint saved: the next deliveries go to it as it is now.' })
        } catch (error) {
          const { message, status } = kit.failure(error)
          try {
            return await hookPage(c, me, id, { error: `Could not save the endpoint: ${message}`, editing }, status)
          } catch (again) {
            return listPage(c, me, kit.failure(again).message, status)
          }
        }
      }),
    )
    app.post(
      '/webhooks/:id/delete',
      kit.limit,
      onHook('delete the endpoint', async (c, me, id) => {
        const stop = confirmed(c, me, deleteQuestion('It'))
        if (stop) return stop
        await kit.act(c, me, 'webhooks.delete', { params: { id } })
        return c.redirect('/webhooks', 303)
      }),
    )
    app.get(
      '/webhooks/:id/deliveries/:did',
      kit.signedIn(async (c, me) => {
        const id = c.req.param('id')!
        if (!kit.has('webhooks.delivery_attempts') || !kit.has('webhooks.delivery_get')) return notMounted(c, me)
        const deliveryId = c.req.param('did')!
        const cursor = c.req.query('cursor')
        try {
          const delivery = await kit.view<DeliveryDetail>(c, me, 'webhooks.delivery_get', { params: { id, delivery_id: deliveryId } })
          const attempts = await kit.view<{ data: Attempt[]; next_cursor: string | null }>(c, me, 'webhooks.delivery_attempts', {
            params: { id, delivery_id: deliveryId },
            query: { limit: '50', ...(cursor ? { cursor } : {}) },
          })
          return kit.html(c, <DeliveryPage me={me} hookId={id} delivery={delivery} attempts={attempts.data} nextCursor={attempts.next_cursor} />)
        } catch (error) {
          const { message, status } = kit.failure(error)
          try {
            return await hookPage(c, me, id, { error: `Could not load the delivery: ${message}` }, status)
          } catch (again) {
            return listPage(c, me, kit.failure(again).message, status)
          }
        }
      }),
    )
    app.post(
      '/webhooks/:id/deliveries/:did/retry',
      kit.limit,
      onHook('retry the delivery', async (c, me, id) => {
        await kit.act(c, me, 'webhooks.retry_delivery', { params: { id, delivery_id: c.req.param('did')! } })
        return { notice: 'Delivery queued again with the same webhook-id.' }
      }),
    )
  }
}
