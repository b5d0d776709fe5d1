import type { Logger } from 'pino'
import { ApiError } from '../../core/errors.js'
import { FileResult, StreamResult } from '../../core/operation.js'
import type { Exchange } from '../exchange.js'
import { HandlerContext, type HandlerDeps } from '../handler-context.js'
import type { Step } from '../pipeline.js'

/**
 * Runs the handler and shapes its answer: JSON by the declared output schema (which drops any
 * field it does not declare), a file, or a Response passed through.
 */
export function runHandler(deps: HandlerDeps): Step {
  const settle = (x: Exchange, result: unknown): void => {
    const { op } = x
    if (result instanceof FileResult) x.answer = { kind: 'file', status: op.status, file: result }
    else if (result instanceof StreamResult) x.answer = { kind: 'stream', status: result.status, result }
    else if (result instanceof Response) x.answer = { kind: 'passthrough', status: result.status, response: result }
    else x.answer = { kind: 'json', status: op.status, body: shape(deps.log, x, result) }
  }
  return {
    name: 'run_handler',
    enter(x) {
      const { op, meta } = x.request
      const result = op.handler(x.input as never, new HandlerContext(deps, op, x.principal!, meta, x.rawBody))
      if (result instanceof Promise) return result.then((r) => settle(x, r))
      settle(x, result)
    },
  }
}

function shape(log: Logger, x: Exchange, result: unknown): unknown {
  const parsed = x.op.output.safeParse(result)
  if (!parsed.success) {
    log.error({ op: x.op.id, issues: parsed.error.issues }, 'handler answer does not match its output schema')
    throw new ApiError('internal_error', 'Internal server error')
  }
  return parsed.data
}
