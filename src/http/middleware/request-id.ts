import { randomUUID } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { requestHeader } from '../request-header.js'
import { setResponseHeader } from '../response-header.js'
import { ensureHeader } from './ensure-header.js'

const CLIENT_ID = /^[A-Za-z0-9._-]{1,128}$/

export interface RequestIdOptions {
  header?: string
  generate?: () => string
}

/** Keeps a well-formed client `X-Request-Id`, otherwise makes one; echoes it on every response. */
export function requestId(options: RequestIdOptions = {}): MiddlewareHandler {
  const header = options.header ?? 'X-Request-Id'
  const generate = options.generate ?? (() => `req_${randomUUID().replaceAll('-', '')}`)
  return async function requestIdMiddleware(c, next) {
    const sent = requestHeader(c, header.toLowerCase() as Lowercase<string>)
    const id = sent && CLIENT_ID.test(sent) ? sent : generate()
    c.set('requestId', id)
    const onNode = setResponseHeader(c, header, id)
    await next()
    if (!onNode) ensureHeader(c, header, id)
  }
}
