import { listAuditLog } from '../audit/operations/list-audit-log.js'
import { defineModule } from '../core/module.js'
import { catalog } from './operations/catalog.js'
import { health } from './operations/health.js'

export const platformModule = defineModule({
  name: 'platform',
  operations: [health, catalog, listAuditLog],
  tags: [
    { name: 'Platform', description: 'Check a key and discover what it may call.' },
    { name: 'Audit log', description: 'Who did what, when and from where.' },
  ],
})
