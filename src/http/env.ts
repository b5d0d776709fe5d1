import type { Operation } from '../core/operation.js'
import type { Principal } from '../core/principal.js'

/** Hono variables set by Portico's middleware. */
export interface HttpEnv {
  Variables: {
    /** Echoed in X-Request-Id and error envelopes: the client's own id when it sent a well-formed one. */
    requestId: string
    /** Always made here: what logs and audit rows record (the client's id is only a correlation id). */
    serverRequestId: string
    /** The client's X-Request-Id, when it sent a well-formed one. */
    correlationId?: string
    clientIp: string
    /** Who made the request, once authenticated (for the request log). */
    principal?: Principal
    operation?: Operation
    /** The status of an answer written straight to Node's response (the Response Hono sees is a marker). */
    sentStatus?: number
    /** The path as logs may show it: set by routes that declare secret parameters. */
    logPath?: string
  }
}
