import { listAuditLog } from '../audit/operations/list-audit-log.js'
import { defineModule } from '../core/module.js'
import { catalog } from './operations/catalog.js'
import { health } from './operations/health.js'
import { postEvent } from './operations/post-event.js'
import { verifyKey } from './operations/verify-key.js'

export const platformModule = defineModule({
  name: 'platform',
  operations: [health, catalog, listAuditLog, verifyKey, postEvent],
  // Service keys' platform calls: a backend may verify once per request it serves, so far more than a customer key's `general`.
  limitClasses: [{ name: 'platform', limit: 6000, windowSeconds: 60 }],
  tags: [
    { name: 'Platform', description: 'Check a key and discover what it may call.' },
    { name: 'Audit log', description: 'Who did what, when and from where.' },
    {
      name: 'Service keys',
      description: "The deployment's own backends, with a service key (`portico service-key create`): verify a customer's key, record an event for an organisation.",
    },
  ],
})
