import type { Context, Hono } from 'hono'
import type { HttpEnv } from '../http/env.js'
import { mcpClientConfig, mcpEndpoint, mcpInspectorCommand } from '../mcp/client-config.js'
import { formText, type DashboardKit, type SignedIn } from './kit.js'
import { keyRulesFromForm } from './key-rules-form.js'
import { AiPage, type McpSnippets } from './pages/ai.js'
import type { MintedKey } from './pages/keys.js'

type Ctx = Context<HttpEnv>

/** The "AI access" page: the MCP endpoint and ready-to-paste client configuration, optionally with a new key in it. */
export function aiRoutes(kit: DashboardKit) {
  const snippets = (key?: string): McpSnippets => {
    const url = kit.deps.urls.publicUrl
    return { endpoint: mcpEndpoint(url), config: mcpClientConfig(url, key), inspector: mcpInspectorCommand(url, key) }
  }
  const page = (c: Ctx, me: SignedIn, extra: Omit<Parameters<typeof AiPage>[0], 'me' | 'snippets'> = {}, status = 200) =>
    kit.html(c, <AiPage me={me} snippets={snippets()} location={c.req.method === 'POST' ? '/ai' : undefined} {...extra} />, status)

  return function mountAi(app: Hono<HttpEnv>): void {
    app.get(
      '/ai',
      kit.signedIn((c, me) => page(c, me)),
    )

    app.post(
      '/ai',
      kit.limit,
      kit.signedIn(async (c, me) => {
        let body: Record<string, unknown> = { name: formText(me.form, 'name') || 'AI assistant', scopes: me.form.getAll('scopes').map(String), expires_in: formText(me.form, 'expires_in') || 'never' }
        try {
          body = { ...body, ...keyRulesFromForm(me.form, 'mint') }
          const done = await kit.once(me, JSON.stringify(body), () => kit.act<MintedKey>(c, me, 'keys.create', { body }))
          if (done.repeated) return await page(c, me, { notice: 'That form was already sent; the key it minted was shown once and is not shown again.' })
          const key = done.value
          return await page(c, me, { minted: { key: { key: key.key, name: key.name, prefix: key.prefix }, snippets: snippets(key.key) } }, 201)
        } catch (error) {
          const { message, status } = kit.failure(error)
          return page(c, me, { error: message }, status)
        }
      }),
    )
  }
}
