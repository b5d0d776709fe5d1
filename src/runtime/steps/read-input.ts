import type { Exchange, DecodedBody } from '../exchange.js'
import type { Step } from '../pipeline.js'
import { validateInput } from '../validate-input.js'

const NO_STRINGS: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>)
const NO_BODY = { stream: null, contentType: undefined }

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
      x.rawBody = body ? body.stream() : NO_BODY
    } else if (op.body && body) {
      const decoded = body.read(op)
      if (decoded instanceof Promise) return decoded.then((d) => validate(x, d))
      return validate(x, decoded)
    }
    x.input = validateInput(op, { params: params ?? NO_STRINGS, query: query ?? NO_STRINGS })
  },
}

function validate(x: Exchange, decoded: DecodedBody): void {
  const { op, params, query } = x.request
  x.bodyBytes = decoded.raw
  x.input = validateInput(op, { params: params ?? NO_STRINGS, query: query ?? NO_STRINGS, body: decoded.value })
}
