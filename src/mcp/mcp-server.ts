import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { Logger } from 'pino'
import type { Authenticated } from '../auth/authenticate.js'
import type { RequestMeta } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import type { Operation, OperationRegistry } from '../core/operation.js'
import { API_BASE } from '../http/mount-operations.js'
import { JSON_LIMIT } from '../http/read-body.js'
import type { RequestObserver } from '../http/request-observer.js'
import { callerFromKey, type ExecutionResult, type OperationExecutor } from '../runtime/execute-operation.js'
import { splitArguments, toolAnnotations, toolInputSchema } from './tool-schema.js'

export interface McpDeps {
  registry: OperationRegistry
  executor: OperationExecutor
  version: string
  log: Logger
  urls: { readonly publicUrl: string }
  /** Told of each tool call, as REST tells them of each request (usage, last use, metrics). */
  observers: RequestObserver[]
}

/** What one MCP HTTP request learnt while running, for its HTTP answer. */
export interface McpExchange {
  /** `RateLimit-Policy` and `RateLimit` of the tool call, as REST answers them. */
  rateLimitHeaders?: Record<string, string>
  /** Tool arguments exactly as sent, by JSON-RPC id, where the SDK's parsing would drop a `__proto__` key. */
  sentArguments?: Map<unknown, Record<string, unknown>>
}

function envelopeResult(error: ApiError, requestId: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(error.toEnvelope(requestId)) }] }
}

/** The same cap REST puts on this operation's JSON body, measured on the tool's arguments. */
function checkSize(op: Operation, args: Record<string, unknown>): void {
  const limit = op.maxBodyBytes ?? JSON_LIMIT
  let text: string
  try {
    text = JSON.stringify(args)
  } catch {
    // JSON.parse takes nesting JSON.stringify cannot walk back (100,000 arrays deep): a client error, not ours.
    throw new ApiError('validation_error', 'The arguments are nested too deeply', { fields: { '(arguments)': 'are nested too deeply' } })
  }
  if (Buffer.byteLength(text) > limit) {
    throw new ApiError('payload_too_large', `The arguments are over ${Math.round(limit / 1024 / 1024)} MB`)
  }
}

/**
 * A file answer (a PDF) as an embedded resource whose URI is the REST address of the same file, so
 * a client that cannot hold the bytes can fetch them with the same key; a text line names it for
 * models that skip binary content.
 */
function fileResult(op: Operation, params: Record<string, string>, result: Extract<ExecutionResult, { file: unknown }>, publicUrl: string): CallToolResult {
  const { file } = result
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''))
  const uri = `${publicUrl.replace(/\/+$/, '')}${API_BASE}${path}`
  const name = file.filename ? `"${file.filename}"` : 'The file'
  return {
    content: [
      { type: 'text', text: `${name} (${file.contentType}, ${file.bytes.byteLength} bytes) is attached; GET ${uri} returns it too.` },
      { type: 'resource', resource: { uri, mimeType: file.contentType, blob: Buffer.from(file.bytes).toString('base64') } },
    ],
  }
}

/**
 * An MCP server for one authenticated request. Tools are the registry's operations this key may
 * call, and a call runs the same executor as REST: scope check, rate limit, validation, handler.
 */
export function createMcpServer(deps: McpDeps, auth: Authenticated, meta: RequestMeta, exchange: McpExchange = {}): Server {
  const { registry, executor } = deps
  const server = new Server({ name: 'portico', version: deps.version }, { capabilities: { tools: {} } })

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: registry
      .all()
      .filter((op) => executor.isCallable(op, auth.principal))
      .map((op) => ({
        name: op.id,
        description: [op.summary, op.description].filter(Boolean).join('\n\n'),
        inputSchema: toolInputSchema(op) as { type: 'object' },
        annotations: toolAnnotations(op),
      })),
  }))

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const op = registry.get(request.params.name)
    if (!op) return envelopeResult(new ApiError('not_found', `No tool named ${request.params.name}`), meta.requestId)
    const started = performance.now()
    const observe = (status: number) => {
      const outcome = { operation: op, principal: auth.principal, status, durationMs: performance.now() - started, at: Date.now() }
      for (const o of deps.observers) o(outcome)
    }
    try {
      // The order REST follows: who may call it, then the quota, then the input.
      executor.authorize(op, auth.principal)
      try {
        exchange.rateLimitHeaders = (await executor.admit(op, callerFromKey(auth))).headers
      } catch (error) {
        if (error instanceof ApiError && error.headers) exchange.rateLimitHeaders = error.headers
        throw error
      }
      const args = exchange.sentArguments?.get(extra.requestId) ?? request.params.arguments ?? {}
      checkSize(op, args)
      const raw = splitArguments(op, args)
      const result = await executor.run(op, auth.principal, raw, meta)
      observe(result.status)
      if ('file' in result) return fileResult(op, raw.params, result, deps.urls.publicUrl)
      const body = result.body
      // structuredContent must be an object; a list or a bare value travels as text only.
      const structured = body !== null && typeof body === 'object' && !Array.isArray(body) ? { structuredContent: body as Record<string, unknown> } : {}
      return { content: [{ type: 'text', text: JSON.stringify(body) }], ...structured }
    } catch (error) {
      const known = error instanceof ApiError ? error : new ApiError('internal_error', 'Internal server error')
      // As REST's onError: the cause goes to the log with the request id, never to the client.
      if (known !== error) deps.log.error({ err: error, req_id: meta.requestId, op: op.id }, 'unhandled error in MCP tool call')
      observe(known.status)
      return envelopeResult(known, meta.requestId)
    }
  })
  return server
}
