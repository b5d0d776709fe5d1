import { defineModule } from '../core/module.js'
import { z } from '../core/schema.js'
import { KeySchema } from './key-schema.js'
import { CreditsLowEventSchema, ExpiredEventSchema, ExpiringEventSchema } from './key-notices.js'
import { LeakedEventSchema } from './leak-reports.js'
import { keyOperations } from './operations/index.js'

export const keysModule = defineModule({
  name: 'keys',
  operations: keyOperations,
  tags: [{ name: 'API keys', description: 'Keys are shown once at mint, stored as a hash, identified afterwards by a display prefix.' }],
  events: [
    { type: 'api_key.created', summary: 'An API key was minted', schema: KeySchema },
    { type: 'api_key.revoked', summary: 'An API key was revoked', schema: KeySchema },
    {
      type: 'api_key.rolled',
      summary: 'An API key was rolled: a new key replaces the old one after its grace period',
      schema: z.object({ old_key: KeySchema, new_key: KeySchema }),
    },
    {
      type: 'api_key.leaked',
      summary: 'A secret-scanning report found an API key in public; Portico revoked it at once (reason `leaked`)',
      schema: LeakedEventSchema,
    },
    { type: 'api_key.expiring', summary: 'An API key expires in 7 days, or in 1 day (`expires_in`); sent once each', schema: ExpiringEventSchema },
    { type: 'api_key.expired', summary: 'An API key reached its expiry; sent once', schema: ExpiredEventSchema },
    {
      type: 'api_key.credits_low',
      summary: "An API key's remaining credits fell below 10% of its last refill or the amount set; sent once per refill or setting",
      schema: CreditsLowEventSchema,
    },
  ],
})
