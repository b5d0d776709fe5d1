import type { FC } from 'hono/jsx'
import { CopyField, Flash, Page, type Viewer } from '../layout.js'
import { MintedDialog, MintForm, type MintedKey } from './keys.js'

export interface McpSnippets {
  endpoint: string
  config: string
  inspector: string
}

const Snippet: FC<{ id: string; label: string; text: string }> = ({ id, label, text }) => (
  <div class="snippet">
    <button type="button" class="small" data-copy={`#${id}`} aria-label={`Copy ${label.toLowerCase()}`}>
      Copy
    </button>
    <pre id={id} tabindex={0} aria-label={label}>
      {text}
    </pre>
  </div>
)

interface AiPageProps {
  me: Viewer & { canManage: boolean }
  /** With the placeholder key. */
  snippets: McpSnippets
  /** A key minted for the assistant just now, and the snippets holding it: in this answer only. */
  minted?: { key: MintedKey; snippets: McpSnippets } | undefined
  error?: string | undefined
  notice?: string | undefined
  location?: string | undefined
}

export const AiPage: FC<AiPageProps> = ({ me, snippets, minted, error, notice, location }) => (
  <Page title="AI access" me={me} current="/ai" location={location}>
    <h1>AI access</h1>
    <p class="muted lead">
      AI assistants reach the same operations over MCP with an API key: its tools are the operations that key may call, with the same scopes, rate limits and
      audit log. Give an assistant its own key with only the scopes it needs — start with <code>read</code>.
    </p>
    <Flash error={error} notice={notice} />
    {minted ? (
      <MintedDialog minted={minted.key}>
        <p>Or paste this configuration, which already holds the key, into your assistant:</p>
        <Snippet id="minted-config" label="Configuration with the new key" text={minted.snippets.config} />
      </MintedDialog>
    ) : null}
    <section class="card" aria-labelledby="endpoint">
      <h2 id="endpoint">MCP endpoint</h2>
      <p class="muted">Streamable HTTP; send the key as <code>Authorization: Bearer &lt;key&gt;</code>.</p>
      <CopyField id="mcp-endpoint" label="MCP endpoint" value={snippets.endpoint} />
    </section>
    {me.canManage ? (
      <details class="card" open={Boolean(error)}>
        <summary>Mint a key for an assistant</summary>
        <p class="muted">The key is shown once, together with a configuration that already contains it.</p>
        <MintForm me={me} action="/ai" button="Mint key and show configuration" name="AI assistant" />
      </details>
    ) : null}
    <section class="card" aria-labelledby="desktop">
      <h2 id="desktop">Desktop assistant configuration</h2>
      <p class="muted">
        For assistants configured with an <code>mcpServers</code> file. Replace <code>ptk_YOUR_KEY</code> with a key.
      </p>
      <Snippet id="mcp-config" label="Assistant configuration" text={snippets.config} />
    </section>
    <section class="card" aria-labelledby="inspector">
      <h2 id="inspector">Try it in the MCP Inspector</h2>
      <Snippet id="mcp-inspector" label="Inspector command" text={snippets.inspector} />
    </section>
  </Page>
)
