import type { MiddlewareHandler } from 'hono'
import type { Logger } from 'pino'
import type { HttpEnv } from '../env.js'
import { ownOrgIdOf } from '../../core/principal.js'

/** One structured line per request: ids and outcome, never headers, bodies or keys. */
export function requestLog(log: Logger): MiddlewareHandler<HttpEnv> {
  return async function requestLogMiddleware(c, next) {
    const started = performance.now()
    await next()
    if (!log.isLevelEnabled('info')) return
    const principal = c.get('principal')
    log.info({
      req_id: c.get('serverRequestId'),
      correlation_id: c.get('correlationId'),
      method: c.req.method,
      path: c.get('logPath') ?? c.req.path,
      op: c.get('operation')?.id,
      status: c.get('sentStatus') ?? c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ip: c.get('clientIp'),
      org_id: principal ? (ownOrgIdOf(principal) ?? undefined) : undefined,
      reseller_id: principal?.kind === 'reseller_key' ? principal.resellerId : undefined,
      key_id: principal && principal.kind !== 'user' ? principal.keyId : undefined,
    })
  }
}
