import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { Logger } from 'pino'
import type { RequestMeta } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import type { FileResult, Operation, OperationRegistry, RawRequestBody } from '../core/operation.js'
import type { Principal } from '../core/principal.js'
import { API_BASE } from '../http/mount-operations.js'
import { JSON_LIMIT } from '../http/read-body.js'
import type { Credentials, DecodedBody, Exchange, RequestBody } from '../runtime/exchange.js'
import type { OperationExecutor } from '../runtime/execute-operation.js'
import { serverInstructions } from './instructions.js'
import { toolNameOf, ToolNames } from './tool-names.js'
import { textOf } from '../runtime/stream-answer.js'
import { idempotencyKeyOf, splitArguments, toolAnnotations, toolInputSchema, toolOutputSchema } from './tool-schema.js'

/** Tool names per registry, checked once (a clash or a name a client would refuse stops the first session). */
const toolNames = new WeakMap<OperationRegistry, { count: number; names: ToolNames }>()
function namesOf(registry: OperationRegistry): ToolNames {
  const all = registry.all()
  let cached = toolNames.get(registry)
  if (!cached || cached.count !== all.length) {
    cached = { count: all.length, names: new ToolNames(all) }
    toolNames.set(registry, cached)
  }
  return cached.names
}

/** Written for a tool: the declaration's own tool text when the API's speaks of what a tool cannot send. */
const toolDescription = (op: Operation) => op.toolDescription ?? [op.summary, op.description].filter(Boolean).join('\n\n')

/**
 * A declared output schema, except where an answer may carry no structured content: passed
 * through untouched (rawBody) the answer is the upstream's text.
 */
const outputSchemaOf = (op: Operation) => (op.rawBody ? undefined : toolOutputSchema(op))

export interface McpDeps {
  registry: OperationRegistry
  executor: OperationExecutor
  version: string
  log: Logger
  urls: { readonly publicUrl: string }
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

/**
 * A tool's body arguments as the pipeline reads a body: held to the same cap REST puts on this
 * operation's JSON body, and fingerprinted (Idempotency-Key) as their JSON.
 */
class ArgumentsBody implements RequestBody {
  constructor(private readonly args: Record<string, unknown>) {}

  #text(): string {
    try {
      return JSON.stringify(this.args)
    } catch {
      // JSON.parse takes nesting JSON.stringify cannot walk back (100,000 arrays deep): a client error, not ours.
      throw new ApiError('validation_error', 'The arguments are nested too deeply', { fields: { '(arguments)': 'are nested too deeply' } })
    }
  }

  #json(op: Operation): Buffer {
    const limit = op.maxBodyBytes ?? JSON_LIMIT
    const bytes = Buffer.from(this.#text())
    if (bytes.byteLength > limit) throw new ApiError('payload_too_large', `The arguments are over ${Math.round(limit / 1024 / 1024)} MB`)
    return bytes
  }

  read(op: Operation): DecodedBody {
    return { value: this.args, raw: this.#json(op) }
  }

  stream(): RawRequestBody {
    return { stream: new Blob([this.#text()]).stream(), contentType: 'application/json' }
  }
}

/**
 * A file answer (a PDF) as an embedded resource whose URI is the REST address of the same file, so
 * a client that cannot hold the bytes can fetch them with the same key; a text line names it for
 * models that skip binary content.
 */
function fileResult(op: Operation, params: Record<string, string>, file: FileResult, publicUrl: string): CallToolResult {
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

function jsonResult(body: unknown): CallToolResult {
  // structuredContent must be an object; a list or a bare value travels as text only.
  const structured = body !== null && typeof body === 'object' && !Array.isArray(body) ? { structuredContent: body as Record<string, unknown> } : {}
  return { content: [{ type: 'text', text: JSON.stringify(body) }], ...structured }
}

/** The exchange as a tool result: the answer, a replay of one, or the refusal's envelope. */
async function toolResult(deps: McpDeps, x: Exchange, params: Record<string, string>): Promise<CallToolResult> {
  const { answer, error } = x
  const { meta } = x.request
  switch (answer?.kind) {
    case 'json':
      return jsonResult(answer.body)
    case 'file':
      return fileResult(x.op, params, answer.file, deps.urls.publicUrl)
    case 'replay':
      // A stored refusal is its envelope; a stored answer is the answer, its secrets null.
      return answer.status >= 400 ? { isError: true, content: [{ type: 'text', text: answer.json }] } : jsonResult(JSON.parse(answer.json))
    case 'passthrough':
      return { ...(answer.status >= 400 ? { isError: true } : {}), content: [{ type: 'text', text: await answer.response.text() }] }
    case 'stream':
      return { ...(answer.status >= 400 ? { isError: true } : {}), content: [{ type: 'text', text: await textOf(answer.result) }] }
  }
  if (error instanceof ApiError) return envelopeResult(error, meta.requestId)
  // As REST's onError: the cause goes to the log with the request id, never to the client.
  deps.log.error({ err: error, req_id: meta.serverRequestId, op: x.op.id }, 'unhandled error in MCP tool call')
  return envelopeResult(new ApiError('internal_error', 'Internal server error'), meta.requestId)
}

/**
 * An MCP server for one authenticated request. Tools are the registry's operations this key may
 * call, and a call is one `execute` of the same pipeline as REST: authentication, scope, rate
 * limits, input, `idempotency_key` (REST's Idempotency-Key), handler, redacted replays, usage.
 */
export function createMcpServer(deps: McpDeps, principal: Principal, credentials: Credentials, meta: RequestMeta, exchange: McpExchange = {}): Server {
  const { registry, executor } = deps
  const names = namesOf(registry)
  const server = new Server({ name: 'portico', version: deps.version }, { capabilities: { tools: {} }, instructions: serverInstructions(principal) })

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: registry
      .all()
      .filter((op) => executor.isCallable(op, principal))
      .map((op) => {
        const outputSchema = outputSchemaOf(op)
        return {
          name: toolNameOf(op),
          title: op.summary,
          description: toolDescription(op),
          inputSchema: toolInputSchema(op) as { type: 'object' },
          ...(outputSchema ? { outputSchema: outputSchema as { type: 'object' } } : {}),
          annotations: toolAnnotations(op),
        }
      }),
  }))

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    // By tool name (`documents_list`); the operation id (`documents.list`) still works for clients that kept it.
    const op = names.operation(request.params.name) ?? registry.get(request.params.name)
    if (!op) return envelopeResult(new ApiError('not_found', `No tool named ${request.params.name}`), meta.requestId)
    const args: Record<string, unknown> = exchange.sentArguments?.get(extra.requestId) ?? request.params.arguments ?? {}
    const raw = splitArguments(op, args)
    const x = await executor.execute({
      op,
      doorway: 'mcp',
      credentials,
      params: raw.params,
      query: raw.query,
      body: new ArgumentsBody(raw.body as Record<string, unknown>),
      meta,
      idempotencyKey: idempotencyKeyOf(op, args),
      at: Date.now(),
    })
    if (x.headers) exchange.rateLimitHeaders = x.headers
    return toolResult(deps, x, raw.params)
  })
  return server
}
