import type { AuthGuard } from '../../auth/auth-guard.js'
import { callerOf } from '../../auth/caller.js'
import type { Step } from '../pipeline.js'

/**
 * Who is calling: the key the client sent (a cached key answers without a promise; every 401
 * counts against the client address), or the principal the doorway authenticated itself.
 */
export function authenticate(guard: AuthGuard): Step {
  return {
    name: 'authenticate',
    enter(x) {
      const { principal, credentials, meta, at } = x.request
      if (principal) {
        x.caller = callerOf(principal)
        return
      }
      const checked = guard.check(credentials?.authorization, credentials?.apiKey, meta.clientIp, at)
      if (checked instanceof Promise) {
        return checked.then((auth) => {
          x.caller = auth
        })
      }
      x.caller = checked
    },
  }
}
