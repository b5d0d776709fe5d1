import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { ownRequestLine, type RequestLogFields } from './request-log.js'

const full: RequestLogFields = {
  req_id: 'req_0123456789abcdef0123456789abcdef',
  correlation_id: 'client-42',
  method: 'GET',
  path: '/api/v1/health',
  op: 'health.get',
  status: 200,
  ms: 0.4,
  ip: '127.0.0.1',
  org_id: '0e36fcab-63d9-4b80-9220-31d9cb2b0a49',
  reseller_id: undefined,
  key_id: '124af369-39e5-48f1-bf0e-a3b42c0a066e',
}

/** What pino, configured as createLogger configures it, writes for the same fields. */
function pinoLine(fields: RequestLogFields): string {
  let out = ''
  const log = pino({ level: 'info', base: { service: 'portico' }, timestamp: pino.stdTimeFunctions.isoTime }, { write: (line: string) => void (out += line) })
  log.info(fields)
  return out
}

function ownLine(fields: RequestLogFields): string {
  let out = ''
  ownRequestLine((line) => void (out += line), ',"service":"portico"')(fields)
  return out
}

const withoutTime = (line: string) => line.replace(/"time":"[^"]+"/, '"time":"T"')

describe('the request line written without pino', () => {
  it.each([
    ['every field', full],
    ['no correlation id, operation or key', { ...full, correlation_id: undefined, op: undefined, org_id: undefined, key_id: undefined, status: 404 }],
    ['a reseller key', { ...full, org_id: undefined, reseller_id: 'b4d1c3a0-0000-4000-8000-000000000001' }],
    ['a path with quotes, backslashes, control characters and non-ASCII', { ...full, path: '/api/v1/"x"\\y\n\u0001\u2028é😀', ms: 12.5, ip: '::1' }],
  ])('is byte for byte what pino writes: %s', (_, fields) => {
    const own = ownLine(fields)
    expect(withoutTime(own)).toBe(withoutTime(pinoLine(fields)))
    expect(JSON.parse(own).time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  })
})
