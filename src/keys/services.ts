import type { KeyImporter } from './key-import.js'
import type { KeyNotices } from './key-notices.js'
import type { KeyService } from './key-service.js'

declare module '../core/context.js' {
  interface Services {
    keys: KeyService
    keyImport: KeyImporter
    /** Expiry notices; the worker runs them, tests call `scan`. */
    keyNotices: KeyNotices
  }
}
