#!/usr/bin/env node
/**
 * The `portico` command. Installed from the package, it runs the compiled Portico alone
 * (dist/bin.js). In the repository, with its development dependencies, it runs the sources
 * through tsx with the example product mounted (examples/main.ts): that is what `npm start` and
 * `npx portico` do there, with no build step.
 */
import { existsSync } from 'node:fs'

async function repositoryMain() {
  const entry = new URL('../examples/main.ts', import.meta.url)
  if (!existsSync(entry)) return undefined
  let tsx
  try {
    tsx = await import('tsx/esm/api')
  } catch {
    return undefined // a production install of the repository: the compiled package below
  }
  tsx.register()
  return (await import(entry.href)).main
}

const main = await repositoryMain()
if (main) process.exitCode = await main(process.argv.slice(2))
else if (existsSync(new URL('../dist/bin.js', import.meta.url))) await import('../dist/bin.js')
else {
  process.stderr.write('portico: dist/ is missing; run `npm run build` first (or `npm ci` to run the sources)\n')
  process.exitCode = 70
}
