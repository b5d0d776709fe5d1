import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import type { Context, Hono } from 'hono'
import { ApiError } from '../core/errors.js'
import type { AuthGuard } from '../auth/auth-guard.js'
import { checkClientAddress, keyRulesOf } from '../keys/key-rules.js'
import type { HttpEnv } from '../http/env.js'
import { errorResponse } from '../http/on-error.js'
import { JSON_LIMIT } from '../http/read-body.js'
import { createMcpServer, type McpDeps, type McpExchange } from './mcp-server.js'

export const MCP_PATH = '/mcp'

export interface McpRouteDeps extends McpDeps {
  guard: AuthGuard
  /** Browser origins allowed besides the server's own (PORTICO_MCP_ALLOWED_ORIGINS). */
  allowedOrigins: string[]
}

/** JSON-RPC framing around a tool's arguments. */
const ENVELOPE_BYTES = 64 * 1024

/**
 * The SDK's own parsing drops a `__proto__` key from tool arguments, so a body REST refuses would
 * run over MCP without it. A copy of the body (read up to the same cap; the SDK reads the other)
 * keeps such arguments as sent, so validation sees them and refuses them as REST does.
 */
async function argumentsWithPrototypeKeys(request: Request, limit: number): Promise<Map<unknown, Record<string, unknown>> | undefined> {
  if (!request.body) return undefined
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength
    if (size > limit) return undefined
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks, size).toString('utf8')
  if (!text.includes('"__proto__"')) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return undefined
  }
  const found = new Map<unknown, Record<string, unknown>>()
  for (const message of [parsed].flat() as { id?: unknown; method?: unknown; params?: { arguments?: unknown } }[]) {
    const args = message?.params?.arguments
    if (message?.method === 'tools/call' && args && typeof args === 'object' && Object.hasOwn(args, '__proto__')) found.set(message.id, args as Record<string, unknown>)
  }
  return found.size ? found : undefined
}

/** RFC 6750: a request without credentials gets the bare challenge; a bad key is an invalid token. */
function challenge(error: ApiError): string {
  return error.code === 'missing_api_key' ? 'Bearer realm="portico"' : 'Bearer realm="portico", error="invalid_token"'
}

/**
 * `/mcp`: MCP over Streamable HTTP, stateless (a server and transport per request, no session), so
 * any number of instances can serve it. The key is checked as REST checks it; only tool calls
 * spend the REST quota, so connecting and listing tools cost nothing.
 */
export function mcpRoutes(deps: McpRouteDeps) {
  let maxRequestBodySize = JSON_LIMIT + ENVELOPE_BYTES

  async function handle(c: Context<HttpEnv>): Promise<Response> {
    // Stateless: there is no stream to open with GET and no session to end with DELETE. A 405 tells
    // the SDK's client not to retry a GET stream; answering one that closes at once makes it loop.
    if (c.req.method !== 'POST') {
      return errorResponse(c, new ApiError('method_not_allowed', `${c.req.method} is not allowed here; use POST`, { headers: { Allow: 'POST' } }))
    }
    // Browsers send Origin: only our own and configured origins may drive tools (DNS rebinding).
    const origin = c.req.header('origin')
    if (origin && origin !== new URL(deps.urls.publicUrl).origin && !deps.allowedOrigins.includes(origin)) {
      return errorResponse(c, new ApiError('forbidden', `Origin ${origin} is not allowed to use ${MCP_PATH}`))
    }
    const credentials = { authorization: c.req.header('authorization'), apiKey: c.req.header('x-api-key') }
    let auth
    try {
      auth = await deps.guard.check(credentials.authorization, credentials.apiKey, c.get('clientIp'))
      // A key used from outside its allow-list may not even list its tools.
      checkClientAddress(keyRulesOf(auth.key), c.get('clientIp'))
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      if (error.status !== 401) return errorResponse(c, error)
      return errorResponse(c, new ApiError(error.code, error.message, { headers: { ...error.headers, 'WWW-Authenticate': challenge(error) } }))
    }
    c.set('principal', auth.principal)
    const meta = { requestId: c.get('requestId'), serverRequestId: c.get('serverRequestId'), clientIp: c.get('clientIp'), userAgent: c.req.header('user-agent') }
    const exchange: McpExchange = {}
    const copy = c.req.raw.clone()
    exchange.sentArguments = await argumentsWithPrototypeKeys(copy, maxRequestBodySize)
    const server = createMcpServer(deps, auth.principal, credentials, meta, exchange)
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize,
    })
    await server.connect(transport)
    try {
      // With JSON responses the answer is complete here, tool calls included.
      const response = await transport.handleRequest(c.req.raw)
      // Tool results may hold a secret shown once (a minted key): never cached, as REST answers.
      response.headers.set('Cache-Control', 'no-store')
      for (const [name, value] of Object.entries(exchange.rateLimitHeaders ?? {})) response.headers.set(name, value)
      return response
    } finally {
      void server.close()
    }
  }

  return function mountMcp(app: Hono<HttpEnv>): void {
    // The largest body any tool may take (a PDF in base64) plus the JSON-RPC around it, read once the
    // registry is complete; each tool call is then held to its own operation's cap.
    maxRequestBodySize = Math.max(JSON_LIMIT, ...deps.registry.all().map((op) => op.maxBodyBytes ?? 0)) + ENVELOPE_BYTES
    app.all(MCP_PATH, handle)
  }
}
