/** Ready-to-paste configuration for desktop assistants and the MCP Inspector, shown in the README and the dashboard. */
export function mcpEndpoint(publicUrl: string): string {
  return `${publicUrl}/mcp`
}

export function mcpClientConfig(publicUrl: string, key = 'ptk_YOUR_KEY'): string {
  return JSON.stringify(
    {
      mcpServers: {
        portico: {
          command: 'npx',
          args: ['-y', 'mcp-remote', mcpEndpoint(publicUrl), '--header', `Authorization:Bearer ${key}`],
        },
      },
    },
    null,
    2,
  )
}

export function mcpInspectorCommand(publicUrl: string, key = 'ptk_YOUR_KEY'): string {
  return `npx @modelcontextprotocol/inspector --transport http --server-url ${mcpEndpoint(publicUrl)} --header "Authorization: Bearer ${key}"`
}
