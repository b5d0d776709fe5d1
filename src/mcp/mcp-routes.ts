import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import type { Hono } from 'hono'
import { ApiError } from '../core/errors.js'
import type { AuthGuard } from '../http/auth-guard.js'
import type { HttpEnv } from '../http/env.js'
import { errorResponse } from '../http/on-error.js'
import { createMcpServer, type McpDeps } from './mcp-server.js'

export interface McpRouteDeps extends McpDeps {
  guard: AuthGuard
  urls: { readonly publicUrl: string }
  allowedOrigins: string[]
}

/**
 * `/mcp`: MCP over Streamable HTTP, stateless (a server per request), so any number of instances
 * can serve it. The key is checked exactly as REST checks it; tool calls spend the REST quota.
 */
export function mcpRoutes(deps: McpRouteDeps) {
  return function mountMcp(app: Hono<HttpEnv>): void {
    app.all('/mcp', async (c) => {
      const ownOrigin = new URL(deps.urls.publicUrl).origin
      // Browsers send Origin: only our own and configured origins may drive tools (DNS rebinding).
      const origin = c.req.header('origin')
      if (origin && origin !== ownOrigin && !deps.allowedOrigins.includes(origin)) {
        return errorResponse(c, new ApiError('forbidden', `Origin ${origin} is not allowed to use /mcp`))
      }
      let auth
      try {
        auth = await deps.guard.check({ authorization: c.req.header('authorization'), xApiKey: c.req.header('x-api-key') }, c.get('clientIp'))
      } catch (error) {
        if (!(error instanceof ApiError)) throw error
        const challenge = error.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="portico", error="invalid_token"' } : undefined
        return errorResponse(c, new ApiError(error.code, error.message, { retryAfter: error.retryAfter, headers: { ...error.headers, ...challenge } }))
      }
      c.set('auth', auth)
      const meta = { requestId: c.get('requestId'), clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') }
      const server = createMcpServer(deps, auth, meta)
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
      await server.connect(transport)
      try {
        return await transport.handleRequest(c.req.raw)
      } finally {
        void server.close()
      }
    })
  }
}
