import type { Context, Hono } from 'hono'
import type { HttpEnv } from '../http/env.js'
import type { KeyView } from '../keys/key-schema.js'
import { formText, type DashboardKit, type SignedIn } from './kit.js'
import { keyRulesFromForm } from './key-rules-form.js'
import { ConfirmPage } from './pages/confirm.js'
import { searchOf } from './layout.js'
import { ForRolePage } from './pages/for-role.js'
import { keyTabs, KeysPage, revokeQuestion, RollPage, type KeyListView, type KeyTab, type MintedKey } from './pages/keys.js'

type Ctx = Context<HttpEnv>
type Extra = { minted?: MintedKey; error?: string; notice?: string }

/** The API keys page: list, mint (shown once), roll and revoke, all through the keys operations. */
export function keyRoutes(kit: DashboardKit) {
  /** The filter in the address (a GET), or the default one (active keys) under a form's answer. */
  const filterOf = (c: Ctx): Omit<KeyListView, 'prefixes'> => {
    const get = c.req.method === 'GET'
    const asked = get ? c.req.query('status') : undefined
    const status = (keyTabs.find(([tab]) => tab === asked)?.[0] ?? 'active') as KeyTab
    return { status, q: searchOf(c.req.method, (name) => c.req.query(name)) }
  }
  /** Display prefixes of the shown keys, for the roll links between them (one not on the page is named plainly). */
  const prefixesOf = (keys: KeyView[]) => Object.fromEntries(keys.map((k) => [k.id, k.prefix]))
  const page = async (c: Ctx, me: SignedIn, extra: Extra = {}, status = 200) => {
    if (!kit.can(me, 'keys.list')) {
      const needs = 'API keys are listed, minted and revoked with the admin scope.'
      return kit.html(c, <ForRolePage me={me} title="API keys" current="/keys" needs={needs} error={extra.error} notice={extra.notice} />, status)
    }
    const cursor = c.req.method === 'GET' ? c.req.query('cursor') : undefined
    const filter = filterOf(c)
    const query = { limit: '50', ...(cursor ? { cursor } : {}), ...(filter.status === 'all' ? {} : { status: filter.status }), ...(filter.q ? { q: filter.q } : {}) }
    const list = await kit.view<{ data: KeyView[]; next_cursor: string | null }>(c, me, 'keys.list', { query })
    const view = { ...filter, prefixes: prefixesOf(list.data) }
    // A page answering a POST shows /keys in the address bar, so reloading it is a plain GET.
    return kit.html(
      c,
      <KeysPage me={me} keys={list.data} view={view} nextCursor={list.next_cursor} location={c.req.method === 'POST' ? '/keys' : undefined} {...extra} />,
      status,
    )
  }
  const fail = (c: Ctx, me: SignedIn, error: unknown) => {
    const { message, status } = kit.failure(error)
    return page(c, me, { error: message }, status)
  }
  const repeated = 'That form was already sent, so nothing new was done. A key is shown only once; if it was not stored, revoke it and mint another.'

  return function mountKeys(app: Hono<HttpEnv>): void {
    app.get(
      '/keys',
      kit.signedIn(async (c, me) => {
        try {
          return await page(c, me)
        } catch (error) {
          // A tampered cursor: show the first page with the reason.
          const { message, status } = kit.failure(error)
          return kit.html(c, <KeysPage me={me} keys={[]} error={message} />, status)
        }
      }),
    )

    app.post(
      '/keys',
      kit.limit,
      kit.signedIn(async (c, me) => {
        let body: Record<string, unknown> = { name: formText(me.form, 'name'), scopes: me.form.getAll('scopes').map(String), expires_in: formText(me.form, 'expires_in') || 'never' }
        try {
          body = { ...body, ...keyRulesFromForm(me.form, 'mint') }
          const done = await kit.once(me, JSON.stringify(body), () => kit.act(c, me, 'keys.create', { body }))
          if (done.repeated) return await page(c, me, { notice: repeated })
          const minted = done.value as MintedKey
          return await page(c, me, { minted: { key: minted.key, name: minted.name, prefix: minted.prefix } }, 201)
        } catch (error) {
          return fail(c, me, error)
        }
      }),
    )

    app.post(
      '/keys/import',
      kit.limit,
      kit.signedIn(async (c, me) => {
        const lines = formText(me.form, 'keys').split(/\r?\n/).map((l) => l.trim()).filter(Boolean)
        const scopes = me.form.getAll('scopes').map(String)
        const keys: { hash: string; prefix: string; name: string; scopes: string[] }[] = []
        for (const [i, line] of lines.entries()) {
          const [hash, prefix, ...name] = line.split(/\s+/)
          if (!hash || !prefix || name.length === 0) return page(c, me, { error: `Line ${i + 1}: expected the key's SHA-256, its prefix and a name, separated by spaces` }, 400)
          keys.push({ hash, prefix, name: name.join(' '), scopes })
        }
        if (keys.length === 0) return page(c, me, { error: 'Give at least one key: its SHA-256, its prefix and a name on a line' }, 400)
        try {
          const done = await kit.once(me, JSON.stringify(keys), () => kit.act(c, me, 'keys.import', { body: { keys } }))
          if (done.repeated) return await page(c, me, { notice: 'That form was already sent, so nothing new was imported.' })
          const n = (done.value as { data: unknown[] }).data.length
          return await page(c, me, { notice: `Imported ${n} key${n === 1 ? '' : 's'}: each works with its original plaintext.` }, 201)
        } catch (error) {
          return fail(c, me, error)
        }
      }),
    )

    app.get(
      '/keys/:id/roll',
      kit.signedIn(async (c, me) => {
        try {
          if (!me.canManage) return await page(c, me, { error: 'Only Owners and Admins can roll keys.' }, 403)
          const key = await kit.view<KeyView>(c, me, 'keys.get', { params: { id: c.req.param('id')! } })
          return kit.html(c, <RollPage me={me} k={key} />)
        } catch (error) {
          return fail(c, me, error)
        }
      }),
    )

    app.post(
      '/keys/:id/roll',
      kit.limit,
      kit.signedIn(async (c, me) => {
        const id = c.req.param('id')!
        const grace = Number(formText(me.form, 'grace_period_seconds') || '0')
        try {
          const done = await kit.once(me, `roll ${id}`, () => kit.act(c, me, 'keys.roll', { params: { id }, body: { grace_period_seconds: grace } }))
          if (done.repeated) return await page(c, me, { notice: repeated })
          const rolled = done.value as MintedKey
          return await page(c, me, { minted: { key: rolled.key, name: rolled.name, prefix: rolled.prefix } }, 201)
        } catch (error) {
          return fail(c, me, error)
        }
      }),
    )

    app.post(
      '/keys/:id/revoke',
      kit.limit,
      kit.signedIn(async (c, me) => {
        const id = c.req.param('id')!
        try {
          if (!me.canManage) return await page(c, me, { error: 'Only Owners and Admins can revoke keys.' }, 403)
          if (me.form.get('confirmed') !== '1') {
            const key = await kit.view<KeyView>(c, me, 'keys.get', { params: { id } })
            const confirm = { ...revokeQuestion(key), href: c.req.path, back: '/keys' }
            return await kit.html(c, <ConfirmPage me={me} current="/keys" confirm={confirm} />)
          }
          const key = await kit.act<KeyView>(c, me, 'keys.revoke', { params: { id } })
          return await page(c, me, { notice: `Revoked “${key.name}” (${key.prefix}…).` })
        } catch (error) {
          return fail(c, me, error)
        }
      }),
    )
  }
}
