import { defineModule } from '../core/module.js'
import { resellerOperations } from './operations/index.js'
import { RESELLER_TAG } from './schemas.js'

export const resellersModule = defineModule({
  name: 'resellers',
  operations: resellerOperations,
  tags: [
    {
      name: RESELLER_TAG,
      description:
        'For white-label partners, with a reseller key (`rsk_…`): provision organisations, their users and their keys across your ' +
        'book of business, and suspend or resume them. You see only the organisations you provisioned; anything else is 404. ' +
        'Reads need the `read` scope, changes `admin`.',
    },
  ],
})
