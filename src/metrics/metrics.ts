import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'
import type { RequestOutcome } from '../http/request-observer.js'

/** Prometheus metrics for `/metrics`; labels are operation ids and status classes, never ids or keys. */
export class Metrics {
  readonly registry = new Registry()
  readonly #requests = new Counter({
    name: 'portico_http_requests_total',
    help: 'API requests by operation and status',
    labelNames: ['operation', 'status'] as const,
    registers: [this.registry],
  })
  readonly #duration = new Histogram({
    name: 'portico_http_request_duration_seconds',
    help: 'API request duration by operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  })

  constructor(collectDefaults = true) {
    if (collectDefaults) collectDefaultMetrics({ register: this.registry, prefix: 'portico_' })
  }

  // Labelled children are cached: a request costs two map look-ups, not label hashing.
  readonly #children = new Map<string, { requests: { inc(): void }; duration: { observe(v: number): void } }>()

  observe = (outcome: RequestOutcome): void => {
    const operation = outcome.operation?.id ?? 'none'
    const key = `${operation} ${outcome.status}`
    let child = this.#children.get(key)
    if (!child) {
      child = { requests: this.#requests.labels(operation, String(outcome.status)), duration: this.#duration.labels(operation) }
      this.#children.set(key, child)
    }
    child.requests.inc()
    child.duration.observe(outcome.durationMs / 1000)
  }
}
