import type { Readable } from 'node:stream'
import type { z, ZodObject, ZodType } from 'zod'
import type { ErrorCode } from './errors.js'
import type { OperationContext } from './context.js'
import type { Audience } from './principal.js'
import type { Scope } from './scopes.js'

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete'
export type BodyType = 'json' | 'multipart'

 
type AnyObject = ZodObject<any>
type Infer<T> = T extends ZodType ? z.infer<T> : unknown

/**
 * The request body of an operation that declares `rawBody: true`, unread: Portico neither parses,
 * validates, caps nor fingerprints it, and the handler reads (or forwards) the stream itself.
 */
export interface RawRequestBody {
  /** The bytes as they arrive; null when the request has no body. */
  stream: ReadableStream<Uint8Array> | null
  contentType: string | undefined
  /** The query string as the client sent it, without `?` (over MCP: the query arguments, encoded). */
  query?: string
  /** The client's request headers (REST; absent over MCP and the dashboard). */
  headers?: Headers
  /**
   * The same headers as Node parsed them (lower-case names, repeated ones joined or listed), where
   * the server has them: reading these builds no web `Headers` object.
   */
  nodeHeaders?: Readonly<Record<string, string | string[] | undefined>>
}

/**
 * An answer a handler passes on as it came (the gateway's upstream answer): status, header fields
 * and the body as a Node stream. Served by Node's HTTP server it is written straight to the
 * connection, with no web streams in between; the other doorways read it.
 */
export class StreamResult {
  constructor(
    readonly status: number,
    /** Header fields to send, lower-case names; a list for a repeated field. */
    readonly headers: Readonly<Record<string, string | string[]>>,
    /** The body; null for an answer without one. */
    readonly body: Readable | null,
  ) {}
}

/** A handler may answer raw bytes (a PDF download) instead of JSON. */
export class FileResult {
  constructor(
    readonly bytes: Uint8Array,
    readonly contentType: string,
    readonly filename?: string,
  ) {}
}

export type JsonSchema = Record<string, unknown>

export interface JsonSchemaInput {
  /** Path parameters by name. */
  params?: Record<string, JsonSchema>
  /** An object schema of the query parameters. */
  query?: JsonSchema
  /** The JSON request body. */
  body?: JsonSchema
  /** Documented answers by status (`"200"`), with their media types and schemas. */
  responses?: Record<string, { description: string; content?: Record<string, { schema?: JsonSchema }> }>
}

export interface OperationSpec<
  TParams extends AnyObject | undefined,
  TQuery extends AnyObject | undefined,
  TBody extends AnyObject | undefined,
  TOutput extends ZodType,
> {
  /** Stable id, `noun.verb`; it names the MCP tool and the OpenAPI operationId. */
  id: string
  method: HttpMethod
  /** Path under the API base, OpenAPI style: `/keys/{id}`. */
  path: string
  summary: string
  description?: string
  /**
   * The MCP tool's description, when the API's would mislead a model (it speaks of multipart
   * uploads, which a tool cannot send); default: the summary and the description.
   */
  toolDescription?: string
  tags?: string[]
  /** Which kind of key may call it; default `org`; `any` for self-description open to every key. */
  audience?: Audience | 'any'
  /** Scope required, or null for any valid key. */
  scope: Scope | null
  /** Rate-limit class beside `general`; default `general` alone. */
  limit?: string
  /** Credits an admitted request spends from a key with a balance; default 1 (0: free). */
  cost?: number
  params?: TParams
  query?: TQuery
  body?: TBody
  /**
   * Portico does not read the body: the handler gets it as a stream in `ctx.rawBody` (with its
   * content type, the query string and the request headers), for a handler that forwards it
   * elsewhere. No `body` schema may be declared, and the cap (`maxBodyBytes`) is the handler's to
   * enforce; with an `Idempotency-Key` the body is read first (within `maxBodyBytes`, default
   * 10 MB) so that it is fingerprinted too. Over MCP and the dashboard the stream holds the JSON of
   * the arguments.
   */
  rawBody?: boolean
  /**
   * Body fields that are alternatives, of which a request gives exactly one (`['file',
   * 'file_base64']`): checked before the handler runs, published as a `oneOf` in OpenAPI.
   */
  exactlyOneOf?: string[]
  /** Accepted request body encodings; default `['json']` when a body is declared. */
  bodyTypes?: BodyType[]
  /** Body size cap in bytes; default 1 MB for JSON, 10 MB (plus form overhead) for multipart. */
  maxBodyBytes?: number
  output: TOutput
  /** Content type of a FileResult answer, documented in OpenAPI instead of JSON. */
  fileOutput?: string
  status?: 200 | 201 | 202
  /** Error codes this operation may answer besides the ones every operation can. */
  errors?: ErrorCode[]
  /** Marks irreversible operations for MCP clients. */
  destructive?: boolean
  /** Response fields holding a secret shown once; an idempotent replay answers them as null. A dotted path (`recipients.signing_url`) reaches into objects and every element of an array. */
  secretFields?: string[]
  /** Whether a POST honours `Idempotency-Key`; default true for POST. */
  idempotent?: boolean
  /**
   * Input and answers declared in JSON Schema instead of zod (an upstream's operations, from the
   * upstreams file): published as written in the OpenAPI document and the MCP tool, and checked by
   * the operation's own handler with a JSON Schema validator.
   */
  jsonSchema?: JsonSchemaInput
  /**
   * The operation itself. It may answer synchronously (no promise: the request then awaits nothing
   * when its key is cached and its limiter in-process), and it may answer:
   * - a value of `output` (JSON, parsed by it on every answer: a field it does not declare is
   *   dropped, so nothing undeclared, a secret column say, leaves by accident);
   * - a `FileResult` (bytes with a content type, `fileOutput` in OpenAPI);
   * - a web `Response`, sent by REST as it is (status, headers, a streamed body), with Portico's
   *   `X-Request-Id` and `RateLimit` headers added; over MCP its body is read as the tool's text.
   *   For an idempotent replay only a JSON answer of at most 1 MB is stored; after any other the
   *   key is released;
   * - a `StreamResult` (status, header fields, a Node stream), treated as a `Response` is, and
   *   written by REST straight to Node's response.
   */
  handler: (
    input: Infer<TParams> & Infer<TQuery> & Infer<TBody>,
    ctx: OperationContext,
  ) => HandlerAnswer<z.input<TOutput>> | Promise<HandlerAnswer<z.input<TOutput>>>
}

export type HandlerAnswer<T> = T | FileResult | StreamResult | Response

export interface Operation extends OperationSpec<AnyObject | undefined, AnyObject | undefined, AnyObject | undefined, ZodType> {
  audience: Audience | 'any'
  limit: string
  cost: number
  status: 200 | 201 | 202
  idempotent: boolean
  bodyTypes: BodyType[]
  rawBody: boolean
}

const ID = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/

export function defineOperation<
  TParams extends AnyObject | undefined = undefined,
  TQuery extends AnyObject | undefined = undefined,
  TBody extends AnyObject | undefined = undefined,
  TOutput extends ZodType = ZodType,
>(spec: OperationSpec<TParams, TQuery, TBody, TOutput>): Operation {
  if (!ID.test(spec.id)) throw new Error(`operation id "${spec.id}" must look like noun.verb`)
  if (!spec.path.startsWith('/')) throw new Error(`operation ${spec.id}: path must start with /`)
  const pathParams = [...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)
  const declared = spec.params ? Object.keys(spec.params.shape) : []
  for (const p of pathParams) {
    if (!declared.includes(p)) throw new Error(`operation ${spec.id}: path parameter {${p}} has no schema in params`)
  }
  const names = [spec.params, spec.query, spec.body].flatMap((s) => (s ? Object.keys(s.shape) : []))
  const dup = names.find((n, i) => names.indexOf(n) !== i)
  for (const alt of spec.exactlyOneOf ?? []) {
    if (!spec.body || !(alt in spec.body.shape)) throw new Error(`operation ${spec.id}: exactlyOneOf names "${alt}", which is not a body field`)
  }
  if (dup) throw new Error(`operation ${spec.id}: input name "${dup}" appears twice across params, query and body`)
  if (spec.cost !== undefined && !(Number.isInteger(spec.cost) && spec.cost >= 0 && spec.cost <= 1_000_000)) {
    throw new Error(`operation ${spec.id}: cost must be a whole number of credits from 0 to 1000000`)
  }
  if (spec.rawBody && spec.body) throw new Error(`operation ${spec.id}: a rawBody operation declares no body schema`)
  if (names.includes('idempotency_key')) throw new Error(`operation ${spec.id}: "idempotency_key" is reserved (MCP passes the Idempotency-Key under that name)`)
  return {
    ...(spec as unknown as Operation),
    audience: spec.audience ?? 'org',
    limit: spec.limit ?? 'general',
    cost: spec.cost ?? 1,
    status: spec.status ?? (spec.method === 'post' ? 201 : 200),
    idempotent: spec.idempotent ?? spec.method === 'post',
    bodyTypes: spec.bodyTypes ?? (spec.body ? ['json'] : []),
    rawBody: spec.rawBody ?? false,
  }
}

/** Every operation a server exposes, checked once for clashes. */
export class OperationRegistry {
  readonly #ops = new Map<string, Operation>()

  add(...operations: Operation[]): this {
    for (const op of operations) {
      if (this.#ops.has(op.id)) throw new Error(`operation id "${op.id}" declared twice`)
      const route = `${op.method} ${op.path.replace(/\{\w+\}/g, '{}')}`
      for (const other of this.#ops.values()) {
        if (`${other.method} ${other.path.replace(/\{\w+\}/g, '{}')}` === route) {
          throw new Error(`operations "${other.id}" and "${op.id}" share ${op.method.toUpperCase()} ${op.path}`)
        }
      }
      this.#ops.set(op.id, op)
    }
    return this
  }

  all(): Operation[] {
    return [...this.#ops.values()]
  }

  get(id: string): Operation | undefined {
    return this.#ops.get(id)
  }
}
