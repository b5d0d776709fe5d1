import type { Authenticated } from '../auth/authenticate.js'
import type { Operation } from '../core/operation.js'

/** Hono variables set by Portico's middleware. */
export interface HttpEnv {
  Variables: {
    requestId: string
    clientIp: string
    auth?: Authenticated
    operation?: Operation
    /** The path as logs may show it: set by routes that declare secret parameters. */
    logPath?: string
  }
}
