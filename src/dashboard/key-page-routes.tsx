import type { Context, Hono } from 'hono'
import type { HttpEnv } from '../http/env.js'
import type { KeyView } from '../keys/key-schema.js'
import { parseRateLimits } from '../keys/key-store.js'
import { keyRulesFromForm } from './key-rules-form.js'
import { formText, type DashboardKit, type SignedIn } from './kit.js'
import { KeyPage, type LimitLine } from './pages/key.js'
import { KeysPage } from './pages/keys.js'

type Ctx = Context<HttpEnv>

/** One key's page (its limits, credits, allow-list and metadata) and its edit form, through keys.get and keys.update. */
export function keyPageRoutes(kit: DashboardKit) {
  const limitsOf = async (me: SignedIn, k: KeyView): Promise<LimitLine[]> => {
    const { policies } = kit.deps.executor.deps
    const org = await kit.deps.db.selectFrom('organizations').select('rate_limits').where('id', '=', me.org.id).executeTakeFirst()
    const orgLimits = parseRateLimits(org?.rate_limits ?? null)
    return policies.names().map((name) => {
      const policy = policies.resolve(name, orgLimits, k.rate_limits)
      const own = orgLimits[name]
      const source = k.rate_limits[name] ? 'key' : own && !own.shared ? 'organisation' : 'deployment'
      const pool = policies.shared(name, orgLimits)
      return { name, limit: policy.limit, windowSeconds: policy.windowSeconds, source, pool: pool && { limit: pool.limit, windowSeconds: pool.windowSeconds } }
    })
  }
  // Not found (or another organisation's, which is the same): the keys page with the reason, and its status.
  const missing = (c: Ctx, me: SignedIn, error: unknown) => {
    const { message, status } = kit.failure(error)
    return kit.html(c, <KeysPage me={me} keys={[]} error={message} />, status)
  }
  const show = async (c: Ctx, me: SignedIn, id: string, extra: { error?: string; notice?: string } = {}, status = 200) => {
    const k = await kit.view<KeyView>(c, me, 'keys.get', { params: { id } })
    return kit.html(c, <KeyPage me={me} k={k} limits={await limitsOf(me, k)} {...extra} />, status)
  }

  return function mountKeyPage(app: Hono<HttpEnv>): void {
    app.get(
      '/keys/:id',
      kit.signedIn(async (c, me) => {
        try {
          return await show(c, me, c.req.param('id')!)
        } catch (error) {
          return missing(c, me, error)
        }
      }),
    )

    app.post(
      '/keys/:id',
      kit.limit,
      kit.signedIn(async (c, me) => {
        const id = c.req.param('id')!
        try {
          const body = { name: formText(me.form, 'name'), ...keyRulesFromForm(me.form, 'edit') }
          const done = await kit.once(me, `edit ${id} ${JSON.stringify(body)}`, () => kit.act<KeyView>(c, me, 'keys.update', { params: { id }, body }))
          return await show(c, me, id, { notice: done.repeated ? 'That form was already sent; nothing new was done.' : 'Saved.' })
        } catch (error) {
          const { message, status } = kit.failure(error)
          try {
            return await show(c, me, id, { error: message }, status)
          } catch (again) {
            return missing(c, me, again)
          }
        }
      }),
    )
  }
}
