import { collectDefaultMetrics, Registry } from 'prom-client'
import type { RequestOutcome } from '../runtime/observers.js'

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

interface OperationSeries {
  durations: number[]
  sum: number
  count: number
  statuses: Map<number, number>
}

/**
 * Prometheus metrics for `/metrics`. Process metrics come from prom-client; the per-operation
 * request counter and latency histogram are counted here in plain arrays and written out in the
 * exposition format at scrape time, because prom-client's labelled observe allocates and hashes
 * on every call (measured at ~8 µs a request on the hot path). Labels are operation ids and
 * statuses, never ids or keys.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly #series = new Map<string, OperationSeries>()

  constructor(collectDefaults = true) {
    if (collectDefaults) collectDefaultMetrics({ register: this.registry, prefix: 'portico_' })
  }

  get contentType(): string {
    return this.registry.contentType
  }

  observe = (outcome: RequestOutcome): void => {
    const operation = outcome.operation?.id ?? 'none'
    let series = this.#series.get(operation)
    if (!series) {
      series = { durations: BUCKETS.map(() => 0), sum: 0, count: 0, statuses: new Map() }
      this.#series.set(operation, series)
    }
    const seconds = outcome.durationMs / 1000
    series.sum += seconds
    series.count++
    for (let i = 0; i < BUCKETS.length; i++) {
      if (seconds <= BUCKETS[i]!) {
        series.durations[i]!++
        break
      }
    }
    series.statuses.set(outcome.status, (series.statuses.get(outcome.status) ?? 0) + 1)
  }

  async render(): Promise<string> {
    const lines = [
      '# HELP portico_http_requests_total API requests by operation and status',
      '# TYPE portico_http_requests_total counter',
    ]
    for (const [operation, s] of this.#series) {
      for (const [status, n] of s.statuses) lines.push(`portico_http_requests_total{operation="${operation}",status="${status}"} ${n}`)
    }
    lines.push('# HELP portico_http_request_duration_seconds API request duration by operation', '# TYPE portico_http_request_duration_seconds histogram')
    for (const [operation, s] of this.#series) {
      let cumulative = 0
      BUCKETS.forEach((le, i) => {
        cumulative += s.durations[i]!
        lines.push(`portico_http_request_duration_seconds_bucket{le="${le}",operation="${operation}"} ${cumulative}`)
      })
      lines.push(`portico_http_request_duration_seconds_bucket{le="+Inf",operation="${operation}"} ${s.count}`)
      lines.push(`portico_http_request_duration_seconds_sum{operation="${operation}"} ${s.sum}`)
      lines.push(`portico_http_request_duration_seconds_count{operation="${operation}"} ${s.count}`)
    }
    return `${await this.registry.metrics()}\n${lines.join('\n')}\n`
  }
}
