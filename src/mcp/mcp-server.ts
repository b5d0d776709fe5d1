import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { Authenticated } from '../auth/authenticate.js'
import type { RequestMeta } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import type { OperationRegistry } from '../core/operation.js'
import { callerFromKey, type OperationExecutor } from '../runtime/execute-operation.js'
import type { RequestObserver } from '../http/request-observer.js'
import { splitArguments, toolAnnotations, toolInputSchema } from './tool-schema.js'

export interface McpDeps {
  registry: OperationRegistry
  executor: OperationExecutor
  version: string
  /** Told of each tool call, as REST tells them of each request (usage, last use, metrics). */
  observers: RequestObserver[]
}

function envelopeResult(error: ApiError, requestId: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(error.toEnvelope(requestId)) }] }
}

/**
 * An MCP server for one authenticated request. Tools are the registry's operations this key may
 * call, and a call runs the same executor as REST: scope check, rate limit, validation, handler.
 */
export function createMcpServer(deps: McpDeps, auth: Authenticated, meta: RequestMeta): Server {
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

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const op = registry.get(request.params.name)
    if (!op) return envelopeResult(new ApiError('not_found', `No tool named ${request.params.name}`), meta.requestId)
    const started = performance.now()
    const observe = (status: number) => {
      const outcome = { operation: op, principal: auth.principal, status, durationMs: performance.now() - started, at: Date.now() }
      for (const o of deps.observers) o(outcome)
    }
    try {
      executor.authorize(op, auth.principal)
      await executor.admit(op, callerFromKey(auth))
      const result = await executor.run(op, auth.principal, splitArguments(op, request.params.arguments ?? {}), meta)
      observe(result.status)
      if ('file' in result) {
        return {
          content: [
            {
              type: 'resource',
              resource: { uri: `portico://${op.id}/${meta.requestId}`, mimeType: result.file.contentType, blob: Buffer.from(result.file.bytes).toString('base64') },
            },
          ],
        }
      }
      return {
        content: [{ type: 'text', text: JSON.stringify(result.body) }],
        structuredContent: result.body as Record<string, unknown>,
      }
    } catch (error) {
      if (error instanceof ApiError) {
        observe(error.status)
        return envelopeResult(error, meta.requestId)
      }
      throw error
    }
  })
  return server
}
