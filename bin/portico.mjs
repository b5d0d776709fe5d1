#!/usr/bin/env node
// The shipped server: Portico with the example e-signature product mounted, run from source via tsx.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/main.ts')
process.exitCode = await main(process.argv.slice(2))
