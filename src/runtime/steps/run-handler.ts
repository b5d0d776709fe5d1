import type { Logger } from 'pino'
import { ApiError } from '../../core/errors.js'
import { FileResult, StreamResult, type Operation } from '../../core/operation.js'
import { compileProjection, type Projection } from '../output-projection.js'
import type { Exchange } from '../exchange.js'
import { HandlerContext, type HandlerDeps } from '../handler-context.js'
import type { Step } from '../pipeline.js'

/**
 * Runs the handler and shapes its answer: JSON by the declared output schema (which drops any
 * field it does not declare), a file, or a Response passed through.
 */
export function runHandler(deps: HandlerDeps & { checkOutput?: boolean | undefined }): Step {
  const shape = deps.checkOutput ? checked(deps.log) : projected(deps.log)
  const settle = (x: Exchange, result: unknown): void => {
    const { op } = x
    if (result instanceof FileResult) x.answer = { kind: 'file', status: op.status, file: result }
    else if (result instanceof StreamResult) x.answer = { kind: 'stream', status: result.status, result }
    else if (result instanceof Response) x.answer = { kind: 'passthrough', status: result.status, response: result }
    else x.answer = { kind: 'json', status: op.status, body: shape(x, result) }
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

type Shape = (x: Exchange, result: unknown) => unknown

/** Validates the answer against the output schema (PORTICO_CHECK_OUTPUT=1, the test suites): a mismatch is a 500, logged. */
function checked(log: Logger): Shape {
  return (x, result) => {
    const parsed = x.op.output.safeParse(result)
    if (!parsed.success) {
      log.error({ op: x.op.id, issues: parsed.error.issues }, 'handler answer does not match its output schema')
      throw new ApiError('internal_error', 'Internal server error')
    }
    return parsed.data
  }
}

/**
 * Keeps only the keys the output schema declares, by a projection compiled once per operation
 * (see output-projection.ts), without re-checking what the types and the suites already check;
 * a schema the projection cannot mirror is parsed by zod as above.
 */
function projected(log: Logger): Shape {
  const parse = checked(log)
  const projections = new WeakMap<Operation, Projection | null>()
  return (x, result) => {
    let projection = projections.get(x.op)
    if (projection === undefined) {
      projection = compileProjection(x.op.output) ?? null
      projections.set(x.op, projection)
    }
    return projection ? projection(result) : parse(x, result)
  }
}
