// Packs the Portico package from this repository into ./portico.tgz, the file package.json's
// `portico` dependency names, as a customer would receive it: `npm run pack-portico && npm install`.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const here = path.dirname(new URL(import.meta.url).pathname)
const repository = path.resolve(here, '../../..')
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-pack-'))
try {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: repository, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))
  fs.copyFileSync(path.join(out, packed.filename), path.join(here, '..', 'portico.tgz'))
  console.log(`portico.tgz: ${packed.name}@${packed.version}, ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} kB`)
} finally {
  fs.rmSync(out, { recursive: true, force: true })
}
