/**
 * Ready-to-paste configuration for desktop assistants and the MCP Inspector, shown in the README and
 * the dashboard's "AI access" page. Pure functions of the public URL and a key (or its placeholder).
 */
export const KEY_PLACEHOLDER = 'ptk_YOUR_KEY'

export function mcpEndpoint(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/mcp`
}

/**
 * `mcpServers` for assistants that start local servers (Claude Desktop, Cursor, Windsurf), bridged
 * by `mcp-remote`. The key travels in `env`: some clients mangle spaces inside `args`, and
 * mcp-remote logs its header arguments before it substitutes variables, so the key stays out of
 * those logs. Plain HTTP is refused by mcp-remote beyond localhost unless `--allow-http` is given.
 */
export function mcpClientConfig(publicUrl: string, key = KEY_PLACEHOLDER): string {
  const endpoint = mcpEndpoint(publicUrl)
  const { protocol, hostname } = new URL(endpoint)
  const local = hostname === 'localhost' || hostname === '127.0.0.1'
  const args = ['-y', 'mcp-remote', endpoint, '--header', 'Authorization:${PORTICO_AUTH_HEADER}']
  if (protocol === 'http:' && !local) args.push('--allow-http')
  return JSON.stringify({ mcpServers: { portico: { command: 'npx', args, env: { PORTICO_AUTH_HEADER: `Bearer ${key}` } } } }, null, 2)
}

/** The MCP Inspector's web UI, connected over Streamable HTTP with the key as a header. */
export function mcpInspectorCommand(publicUrl: string, key = KEY_PLACEHOLDER): string {
  return `npx @modelcontextprotocol/inspector --transport http --server-url ${mcpEndpoint(publicUrl)} --header "Authorization: Bearer ${key}"`
}
