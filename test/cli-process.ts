import { spawnSync } from 'node:child_process'
import path from 'node:path'

/** The repository's root, where `bin/portico.mjs` runs as `npx portico` would. */
export const root = path.resolve(import.meta.dirname, '..')

/** Runs `portico <args>` as its own process on the given database and answers its exit code and output. */
export function runPortico(dbUrl: string, args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, ['bin/portico.mjs', ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: dbUrl, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: res.status, stdout: res.stdout, stderr: res.stderr }
}
