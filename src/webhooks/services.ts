import type { Dispatcher } from './dispatcher.js'
import type { WebhookService } from './webhook-service.js'

declare module '../core/context.js' {
  interface Services {
    webhooks: WebhookService
    webhookDispatcher: Dispatcher
  }
}
