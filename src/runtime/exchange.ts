import type { Caller } from '../auth/caller.js'
import type { RequestMeta } from '../core/context.js'
import { ApiError } from '../core/errors.js'
import type { FileResult, Operation, RawRequestBody, StreamResult } from '../core/operation.js'
import type { Principal } from '../core/principal.js'
import type { RateLimitDecision } from '../ratelimit/limiter.js'
import type { Doorway } from './observers.js'

/** A key as the client sent it, in any of the accepted headers. */
export interface Credentials {
  authorization?: string | undefined
  apiKey?: string | undefined
}

/** A decoded body and the bytes it came from (the idempotency fingerprint). */
export interface DecodedBody {
  value: unknown
  raw: Uint8Array
}

/**
 * The request body as a doorway holds it. It is read only once the caller is authorised and
 * admitted, so a refused request costs no body read.
 */
export interface RequestBody {
  /** Decodes the body per the operation's encodings, within its size cap. */
  read(op: Operation): DecodedBody | Promise<DecodedBody>
  /** The body unread, for `rawBody` operations. */
  stream(): RawRequestBody
}

/** One call of one operation, as a doorway hands it to the executor. */
export interface ExecuteRequest {
  op: Operation
  doorway: Doorway
  /** A key to authenticate (REST, MCP)… */
  credentials?: Credentials
  /** …or a principal the doorway authenticated itself (a dashboard session). */
  principal?: Principal
  /** Path parameters, decoded. */
  params?: Record<string, string>
  query?: Record<string, string>
  body?: RequestBody
  meta: RequestMeta
  /** Honoured by POST operations that are idempotent; its format is checked here. */
  idempotencyKey?: string | undefined
  /** Now, in ms: one reading of the clock for expiry, rate limits and the usage day. */
  at: number
}

/** What an operation answered. */
export type Answer =
  | { kind: 'json'; status: number; body: unknown }
  | { kind: 'file'; status: number; file: FileResult }
  /** The stored answer of an earlier request with the same Idempotency-Key, as JSON text. */
  | { kind: 'replay'; status: number; json: string }
  /** A web Response the handler built, sent as it is. */
  | { kind: 'passthrough'; status: number; response: Response }
  /** An answer passed on as a Node stream (the gateway's), sent as it is. */
  | { kind: 'stream'; status: number; result: StreamResult }

/**
 * One request on its way through the pipeline: what the steps learnt so far, and in the end either
 * an answer or an error. It is what `execute` resolves to.
 */
export class Exchange {
  readonly started = performance.now()
  caller: Caller | undefined
  /** Response headers every answer and refusal after admission carries (`RateLimit-Policy`, `RateLimit`, …). */
  headers: Record<string, string> | undefined
  /** What the rate limits decided on admission, class by class (the verify API reports them). */
  rateLimits: RateLimitDecision[] | undefined
  input: Record<string, unknown> | undefined
  /** The body's bytes as sent, for the idempotency fingerprint. */
  bodyBytes: Uint8Array | undefined
  rawBody: RawRequestBody | undefined
  answer: Answer | undefined
  /** An ApiError (a refusal), or anything else a step threw (answered as 500 by the doorway). */
  error: unknown

  constructor(readonly request: ExecuteRequest) {}

  get op(): Operation {
    return this.request.op
  }

  get principal(): Principal | undefined {
    return this.caller?.principal
  }

  /** Adds response headers; a later step's value for the same name wins. */
  setHeader(name: string, value: string): void {
    ;(this.headers ??= {})[name] = value
  }

  /** The HTTP status of the outcome: the answer's, the refusal's, or 500. */
  get status(): number {
    if (this.answer) return this.answer.status
    return this.error instanceof ApiError ? this.error.status : 500
  }
}
