#!/usr/bin/env node
// `npm audit --omit=dev` for CI: fails on any high or critical advisory in what ships, and fails as
// clearly when the registry's audit endpoint could not be asked, since an audit that did not run
// is not a pass. Prints one line saying which it was.
import { spawnSync } from 'node:child_process'

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
let report
try {
  report = JSON.parse(run.stdout)
} catch {
  report = undefined
}
const counts = report?.metadata?.vulnerabilities
if (!counts) {
  const reason = report?.message ?? report?.error?.summary ?? (run.stderr.trim().split('\n').at(-1) || `npm audit exited ${run.status}`)
  console.error(`audit: FAILED — the registry's audit endpoint could not be asked (${reason}); no advisory was checked, so this is not a pass`)
  process.exit(2)
}
const serious = Object.entries(report.vulnerabilities ?? {}).filter(([, v]) => v.severity === 'high' || v.severity === 'critical')
if (serious.length) {
  console.error(`audit: FAILED — ${serious.length} production dependencies with a high or critical advisory:`)
  for (const [name, v] of serious) console.error(`  ${name} (${v.severity}) ${[v.range].filter(Boolean).join(' ')}: ${(v.via ?? []).map((x) => (typeof x === 'string' ? x : x.title)).join('; ')}`)
  process.exit(1)
}
const total = report.metadata?.dependencies?.prod ?? report.metadata?.dependencies?.total ?? '?'
console.log(`audit: ok — ${total} production dependencies, no high or critical advisory (moderate ${counts.moderate ?? 0}, low ${counts.low ?? 0})`)
