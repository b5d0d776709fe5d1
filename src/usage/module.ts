import { defineModule } from '../core/module.js'
import { getUsage } from './operations/get-usage.js'

export const usageModule = defineModule({
  name: 'usage',
  operations: [getUsage],
  tags: [{ name: 'Usage', description: 'How much each key is used, and how it fares.' }],
})
