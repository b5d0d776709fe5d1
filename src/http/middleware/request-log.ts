import type { Context } from 'hono'
import type { Logger } from 'pino'
import type { HttpEnv } from '../env.js'
import { ownOrgIdOf, type Principal } from '../../core/principal.js'

/** What one request-log line records: ids and outcome, never headers, bodies or keys. */
export interface RequestLogFields {
  req_id: string
  correlation_id: string | undefined
  method: string
  path: string
  op: string | undefined
  status: number
  ms: number
  ip: string
  org_id: string | undefined
  reseller_id: string | undefined
  key_id: string | undefined
}

/**
 * Where request-log lines go: through the logger (`log.info(fields)`), or, for the logger Portico
 * made itself, straight into its buffered destination as the same JSON line pino would write
 * (see `ownRequestLine`): pino's generic serializer was the largest part of a request's CPU.
 */
export type RequestLineWriter = (fields: RequestLogFields) => void

/** A request as the request log sees it once it is answered, whichever lane served it. */
export interface AnsweredRequest {
  serverRequestId: string
  correlationId: string | undefined
  method: string
  /** The path as logs may show it. */
  path: string
  op: string | undefined
  status: number
  /** `performance.now()` when the request arrived. */
  started: number
  ip: string
  principal: Principal | undefined
}

/** Writes one structured line for a request that has been answered (when `info` is enabled). */
export function requestLogger(log: Logger, writeLine?: RequestLineWriter): (request: AnsweredRequest) => void {
  const write: RequestLineWriter = writeLine ?? ((fields) => log.info(fields))
  return (r) => {
    if (!log.isLevelEnabled('info')) return
    const { principal } = r
    write({
      req_id: r.serverRequestId,
      correlation_id: r.correlationId,
      method: r.method,
      path: r.path,
      op: r.op,
      status: r.status,
      ms: Math.round((performance.now() - r.started) * 10) / 10,
      ip: r.ip,
      org_id: principal ? (ownOrgIdOf(principal) ?? undefined) : undefined,
      reseller_id: principal?.kind === 'reseller_key' ? principal.resellerId : undefined,
      key_id: principal && principal.kind !== 'user' ? principal.keyId : undefined,
    })
  }
}

/** The same for a request Hono served. */
export function honoRequestLogger(log: Logger, writeLine?: RequestLineWriter): (c: Context<HttpEnv>, started: number) => void {
  const logRequest = requestLogger(log, writeLine)
  return (c, started) =>
    logRequest({
      serverRequestId: c.get('serverRequestId'),
      correlationId: c.get('correlationId'),
      method: c.req.method,
      path: c.get('logPath') ?? c.req.path,
      op: c.get('operation')?.id,
      status: c.get('sentStatus') ?? c.res.status,
      started,
      ip: c.get('clientIp'),
      principal: c.get('principal'),
    })
}

let lastMs = 0
let lastIso = ''
/** pino's `isoTime` for this millisecond, made once per millisecond. */
function isoNow(): string {
  const now = Date.now()
  if (now !== lastMs) {
    lastMs = now
    lastIso = new Date(now).toISOString()
  }
  return lastIso
}

const str = (name: string, value: string | undefined) => (value === undefined ? '' : `,"${name}":${JSON.stringify(value)}`)

/**
 * The request line exactly as Portico's own pino logger writes it (level 30, ISO time, its `base`,
 * then the fields in order, undefined ones left out), built by hand because every field is known:
 * `write` is the logger's destination. Only for a logger made by `createLogger`, whose options
 * (no formatters, mixins or redaction) this mirrors; a product's own logger gets `log.info`.
 */
export function ownRequestLine(write: (line: string) => void, base: string): RequestLineWriter {
  return (f) =>
    write(
      `{"level":30,"time":"${isoNow()}"${base},"req_id":${JSON.stringify(f.req_id)}${str('correlation_id', f.correlation_id)},"method":${JSON.stringify(f.method)},"path":${JSON.stringify(f.path)}${str('op', f.op)},"status":${f.status},"ms":${f.ms},"ip":${JSON.stringify(f.ip)}${str('org_id', f.org_id)}${str('reseller_id', f.reseller_id)}${str('key_id', f.key_id)}}\n`,
    )
}
