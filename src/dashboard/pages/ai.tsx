import type { FC } from 'hono/jsx'
import { Page } from '../layout.js'
import type { Session } from '../session-store.js'

export const AiPage: FC<{ session: Session; orgName: string; endpoint: string; config: string; inspector: string }> = ({ session, orgName, endpoint, config, inspector }) => (
  <Page title="AI access" session={session} current="/ai" orgName={orgName}>
    <h1>AI access</h1>
    <p>
      The same API key works for AI assistants over MCP: its tools are the operations the key may call, with the same scopes, limits and audit. Mint a key with only the
      scopes the assistant needs (start with <code>read</code>).
    </p>
    <h2>Endpoint</h2>
    <div class="copy">
      <input id="mcp-endpoint" readonly value={endpoint} aria-label="MCP endpoint" />
      <button type="button" data-copy="#mcp-endpoint">
        Copy
      </button>
    </div>
    <h2>Desktop assistant configuration</h2>
    <p class="muted">Paste into your assistant's MCP configuration and replace the key.</p>
    <pre id="mcp-config" tabindex={0}>{config}</pre>
    <button type="button" data-copy="#mcp-config">
      Copy configuration
    </button>
    <h2>MCP Inspector</h2>
    <pre id="mcp-inspector" tabindex={0}>{inspector}</pre>
  </Page>
)
