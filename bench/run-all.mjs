// npm run bench: every benchmark in turn, each printing its own figures.
import { spawnSync } from 'node:child_process'
import { root } from './lib.mjs'

const runs = [
  ['node', ['bench/auth.mjs']],
  ['node', ['bench/key-rules.mjs']],
  ['node', ['bench/ratelimit.mjs']],
  ['node', ['--import', 'tsx', 'bench/webhooks.ts', '2000']],
]
for (const [cmd, args] of runs) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`)
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env })
  if (result.status !== 0) process.exitCode = 1
}
