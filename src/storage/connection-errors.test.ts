import { describe, expect, it } from 'vitest'
import { ApiError } from '../core/errors.js'
import { asUnavailable, isConnectionError } from './connection-errors.js'

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code })

describe('connection errors', () => {
  it('recognises refused, reset and unreachable sockets, server shutdowns and connection exceptions', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '53300', '08006', '08001', '08P01']) {
      expect(isConnectionError(coded(code)), code).toBe(true)
    }
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true)
    expect(isConnectionError(new Error('timeout exceeded when trying to connect'))).toBe(true)
    expect(isConnectionError(new Error('Client has encountered a connection error and is not queryable'))).toBe(true)
    expect(isConnectionError(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]))).toBe(true)
    expect(isConnectionError(new Error('wrapped', { cause: coded('57P01') }))).toBe(true)
  })

  it('leaves other errors alone: constraint violations, syntax, anything else', () => {
    for (const code of ['23505', '42601', '40001', '22P02']) expect(isConnectionError(coded(code)), code).toBe(false)
    expect(isConnectionError(new Error('boom'))).toBe(false)
    expect(isConnectionError('ECONNREFUSED')).toBe(false)
    const other = new Error('boom')
    expect(asUnavailable(other)).toBe(other)
  })

  it('answers 503 service_unavailable with Retry-After for them', () => {
    const mapped = asUnavailable(coded('ECONNREFUSED'))
    expect(mapped).toBeInstanceOf(ApiError)
    expect((mapped as ApiError).status).toBe(503)
    expect((mapped as ApiError).code).toBe('service_unavailable')
    expect((mapped as ApiError).retryAfter).toBeGreaterThan(0)
  })
})
