/**
 * Portico's command line with this product's modules (`npm run portico -- migrate`), so that
 * `migrate` applies the inventory table too. The installed `portico` bin knows only Portico's own.
 */
import { runCli } from 'portico'
import { inventory } from './inventory.js'

process.exitCode = await runCli(process.argv.slice(2), { modules: [inventory] })
