import { describe, expect, it } from 'vitest'
import { mcpClientConfig, mcpEndpoint, mcpInspectorCommand } from './client-config.js'

describe('MCP client configuration', () => {
  it('points mcp-remote at the endpoint with the key in env, out of args', () => {
    const config = JSON.parse(mcpClientConfig('https://api.example.com/', 'ptk_abc'))
    expect(config.mcpServers.portico).toEqual({
      command: 'npx',
      args: ['-y', 'mcp-remote', 'https://api.example.com/mcp', '--header', 'Authorization:${PORTICO_AUTH_HEADER}'],
      env: { PORTICO_AUTH_HEADER: 'Bearer ptk_abc' },
    })
  })

  it('adds --allow-http only for plain HTTP beyond localhost, and defaults to a placeholder key', () => {
    expect(JSON.parse(mcpClientConfig('http://127.0.0.1:3000')).mcpServers.portico.args).not.toContain('--allow-http')
    const lan = JSON.parse(mcpClientConfig('http://portico.internal:3000')).mcpServers.portico
    expect(lan.args).toContain('--allow-http')
    expect(lan.env.PORTICO_AUTH_HEADER).toBe('Bearer ptk_YOUR_KEY')
  })

  it('keeps a path prefix and gives the Inspector the same endpoint and header', () => {
    expect(mcpEndpoint('https://example.com/portico/')).toBe('https://example.com/portico/mcp')
    expect(mcpInspectorCommand('https://example.com', 'ptk_abc')).toBe(
      'npx @modelcontextprotocol/inspector --transport http --server-url https://example.com/mcp --header "Authorization: Bearer ptk_abc"',
    )
  })
})
