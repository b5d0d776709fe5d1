import type { ApiError } from '../core/errors.js'
import type { Answer } from '../runtime/execute-operation.js'

/** An answer held whole: status, header fields and body, written alike by either way of serving REST. */
export interface WholeReply {
  status: number
  /** Name, value, name, value…: each name once. */
  headers: string[]
  body: string | Uint8Array
}

/**
 * An answer that is not streamed, after the exchange's own headers (`ours`: `RateLimit-Policy`,
 * `RateLimit`, the credits left), whose names never meet the answer's own.
 */
export function wholeReply(answer: Exclude<Answer, { kind: 'passthrough' | 'stream' }>, ours: Record<string, string> | undefined): WholeReply {
  const headers: string[] = []
  if (ours) for (const name in ours) headers.push(name, ours[name]!)
  headers.push('Cache-Control', 'no-store')
  switch (answer.kind) {
    case 'replay':
      headers.push('Content-Type', 'application/json', 'Idempotent-Replayed', 'true')
      return { status: answer.status, headers, body: answer.json }
    case 'file': {
      const { file } = answer
      headers.push('Content-Type', file.contentType)
      if (file.filename) headers.push('Content-Disposition', `attachment; filename="${file.filename.replace(/["\\\r\n]/g, '_')}"`)
      return { status: answer.status, headers, body: file.bytes }
    }
    case 'json':
      headers.push('Content-Type', 'application/json')
      return { status: answer.status, headers, body: JSON.stringify(answer.body) }
  }
}

/** The error envelope of a refusal; its own headers (`Allow`, `Retry-After`…) win over `ours`. */
export function errorReply(error: ApiError, requestId: string, ours?: Record<string, string>): WholeReply {
  const named: Record<string, string> = { ...ours, 'Cache-Control': 'no-store', ...error.headers }
  if (error.retryAfter !== undefined) named['Retry-After'] = String(error.retryAfter)
  named['Content-Type'] = 'application/json'
  const headers: string[] = []
  for (const name in named) headers.push(name, named[name]!)
  return { status: error.status, headers, body: JSON.stringify(error.toEnvelope(requestId)) }
}

/** The header fields as an object (for a web Response). */
export function headerRecord(headers: string[]): Record<string, string> {
  const record: Record<string, string> = {}
  for (let i = 0; i < headers.length; i += 2) record[headers[i]!] = headers[i + 1]!
  return record
}
