import type { KeyImporter } from './key-import.js'
import type { KeyService } from './key-service.js'

declare module '../core/context.js' {
  interface Services {
    keys: KeyService
    keyImport: KeyImporter
  }
}
