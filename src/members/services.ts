import type { MemberService } from './member-service.js'

declare module '../core/context.js' {
  interface Services {
    members: MemberService
  }
}
