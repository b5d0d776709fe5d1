import type { ResellerService } from './reseller-service.js'

declare module '../core/context.js' {
  interface Services {
    resellers: ResellerService
  }
}
