import type { RawRequestBody } from '../../core/operation.js'
import type { Exchange, DecodedBody } from '../exchange.js'
import type { Step } from '../pipeline.js'
import { readStreamCapped } from '../read-stream.js'
import { validateInput } from '../validate-input.js'

const NO_STRINGS: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>)
const NO_BODY = { stream: null, contentType: undefined }
/** What a `rawBody` operation's body may be when it has to be read for an Idempotency-Key, unless it declares its own cap. */
const RAW_BODY_LIMIT = 10 * 1024 * 1024

/**
 * Reads the body (only now that the caller is admitted) and validates path, query and body
 * against the operation's schemas into the handler's one input object. A `rawBody` operation's
 * body stays unread, handed on as a stream.
 */
export const readInput: Step = {
  name: 'read_input',
  enter(x) {
    const { op, params, query, body } = x.request
    if (op.rawBody) {
      x.input = validateInput(op, { params: params ?? NO_STRINGS, query: query ?? NO_STRINGS })
      return rawBody(x, body ? body.stream() : NO_BODY)
    } else if (op.body && body) {
      const decoded = body.read(op)
      if (decoded instanceof Promise) return decoded.then((d) => validate(x, d))
      return validate(x, decoded)
    }
    x.input = validateInput(op, { params: params ?? NO_STRINGS, query: query ?? NO_STRINGS })
  },
}

/**
 * Hands the body on unread, with the query string (a doorway without one, MCP, gives its query
 * arguments). With an Idempotency-Key it is read first, within the cap, so the fingerprint covers
 * it, and handed on as the bytes read.
 */
function rawBody(x: Exchange, raw: RawRequestBody): void | Promise<void> {
  const { op, query, idempotencyKey } = x.request
  const withQuery = raw.query === undefined && query && Object.keys(query).length > 0 ? { ...raw, query: new URLSearchParams(query).toString() } : raw
  if (idempotencyKey === undefined || op.method !== 'post' || !op.idempotent || !raw.stream) {
    x.rawBody = withQuery
    return
  }
  return readStreamCapped(raw.stream, op.maxBodyBytes ?? RAW_BODY_LIMIT).then((bytes) => {
    x.bodyBytes = bytes
    x.rawBody = { ...withQuery, stream: new Blob([bytes as Uint8Array<ArrayBuffer>]).stream() }
  })
}

function validate(x: Exchange, decoded: DecodedBody): void {
  const { op, params, query } = x.request
  x.bodyBytes = decoded.raw
  x.input = validateInput(op, { params: params ?? NO_STRINGS, query: query ?? NO_STRINGS, body: decoded.value })
}
