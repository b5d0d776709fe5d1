import type { Exchange } from './exchange.js'

/**
 * One step of the request pipeline. `enter` runs on the way in, in the pipeline's order; a step
 * that answers (a handler, an idempotent replay) ends the way in. `leave` then runs on the way
 * out, in reverse order, for every step whose `enter` completed, with `x.answer` or `x.error` set:
 * storing the answer for replays, notifying observers. Either may be synchronous; a promise is
 * awaited before the next step, so a request that meets no asynchronous step awaits nothing.
 */
export interface Step {
  readonly name: string
  enter?(x: Exchange): void | Promise<void>
  leave?(x: Exchange): void | Promise<void>
}

/** Runs `steps` over `x`: forward until one answers or fails, then back. */
export function runSteps(steps: readonly Step[], x: Exchange): Exchange | Promise<Exchange> {
  return forward(steps, x, 0)
}

function forward(steps: readonly Step[], x: Exchange, from: number): Exchange | Promise<Exchange> {
  for (let i = from; i < steps.length; i++) {
    const enter = steps[i]!.enter
    if (!enter) continue
    let pending: void | Promise<void>
    try {
      pending = enter(x)
    } catch (error) {
      x.error = error
      return backward(steps, x, i - 1)
    }
    if (pending instanceof Promise) {
      return pending.then(
        () => (x.answer ? backward(steps, x, i) : forward(steps, x, i + 1)),
        (error: unknown) => {
          x.error = error
          return backward(steps, x, i - 1)
        },
      )
    }
    if (x.answer) return backward(steps, x, i)
  }
  return backward(steps, x, steps.length - 1)
}

function backward(steps: readonly Step[], x: Exchange, from: number): Exchange | Promise<Exchange> {
  for (let i = from; i >= 0; i--) {
    const leave = steps[i]!.leave
    if (!leave) continue
    let pending: void | Promise<void>
    try {
      pending = leave(x)
    } catch (error) {
      fail(x, error)
      continue
    }
    if (pending instanceof Promise) {
      return pending.then(
        () => backward(steps, x, i - 1),
        (error: unknown) => {
          fail(x, error)
          return backward(steps, x, i - 1)
        },
      )
    }
  }
  return x
}

/** A step failing on the way out replaces the answer: the client must not believe it was stored. */
function fail(x: Exchange, error: unknown): void {
  x.answer = undefined
  x.error = error
}
