#!/usr/bin/env node
/** The compiled `portico` command: Portico alone (no product modules), configured from the environment. */
import { runCli } from './cli.js'

process.exitCode = await runCli(process.argv.slice(2))
