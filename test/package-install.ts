/**
 * Installing the packed package into a fresh project quickly and reproducibly: the project's
 * lockfile is the repository's (the same versions, served from npm's cache with --prefer-offline),
 * and better-sqlite3's native addon comes from the one this checkout already built, through
 * prebuild-install's local-prebuilds directory, instead of a two-minute compile.
 */
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..')

interface LockEntry {
  version?: string
  [field: string]: unknown
}

/**
 * A package-lock.json for `project` whose `portico` dependency is `file:<tarball>`: the
 * repository's entries (npm drops the ones the project does not need) and one for the tarball.
 */
export function writeLockfile(project: string, tarball: string): void {
  const repoLock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
  const portico = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
  const manifest = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8'))
  const bytes = fs.readFileSync(path.join(project, tarball))
  const packages: Record<string, LockEntry> = {
    '': { name: manifest.name, version: manifest.version, dependencies: manifest.dependencies, devDependencies: manifest.devDependencies },
  }
  for (const [location, entry] of Object.entries(repoLock.packages)) if (location !== '') packages[location] = entry
  packages['node_modules/portico'] = {
    version: portico.version,
    resolved: `file:${tarball}`,
    integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
    license: portico.license,
    dependencies: portico.dependencies,
    bin: portico.bin,
    engines: portico.engines,
  }
  const lock = { name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages }
  fs.writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify(lock, null, 2) + '\n')
}

/**
 * A directory holding better-sqlite3's addon as prebuild-install names its downloads, made from
 * this checkout's build; `npm_config_better_sqlite3_local_prebuilds` points the install at it.
 */
export function localPrebuilds(dir: string): Record<string, string> {
  const pkg = path.join(root, 'node_modules/better-sqlite3')
  const { version } = JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8'))
  fs.mkdirSync(dir, { recursive: true })
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
  const tar = spawnSync('tar', ['-czf', path.join(dir, name), '-C', pkg, 'build/Release/better_sqlite3.node'], { encoding: 'utf8' })
  if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`)
  return { npm_config_better_sqlite3_local_prebuilds: dir }
}
