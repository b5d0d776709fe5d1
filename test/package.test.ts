/**
 * Portico as a customer gets it: `npm pack`, then the example product (examples/node-product)
 * copied to a fresh directory, installed from the tarball with `npm install`, compiled with
 * `tsc --strict` against the shipped types, and run with plain node.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncOptions } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { localPrebuilds, writeLockfile } from './package-install.js'

const root = path.resolve(import.meta.dirname, '..')
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portico-package-'))
const project = path.join(dir, 'acme-inventory')

function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const res = spawnSync(command, args, { cwd: project, encoding: 'utf8', timeout: 300_000, ...options, env: { ...process.env, ...options.env } })
  if (res.error) throw res.error
  return { status: res.status, stdout: String(res.stdout), stderr: String(res.stderr) }
}

function expectOk(result: { status: number | null; stdout: string; stderr: string }) {
  expect(result.status, result.stderr + result.stdout).toBe(0)
  return result.stdout
}

interface PackResult {
  filename: string
  size: number
  unpackedSize: number
  entryCount: number
  files: { path: string }[]
}

let packed: PackResult
let server: ChildProcess | undefined
let output = ''

/** Starts a server in the project on a free port; resolves to the URL it prints. */
function startServer(command: string, args: string[]): Promise<string> {
  output = ''
  const child = spawn(command, args, { cwd: project, env: { ...process.env, ...dbEnv, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] })
  server = child
  child.stderr!.on('data', (d) => (output += d))
  return new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      output += line + '\n'
      const match = /listening on (http:\/\/\S+)/.exec(line)
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${output}`)))
  })
}

/** SIGTERM, then the exit code: a graceful shutdown exits 0. */
async function stopServer(): Promise<number | null> {
  const child = server!
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const code = await exited
  server = undefined
  if (code !== 0) throw new Error(`exited ${code}: ${output}`)
  return code
}
const dbEnv = { DATABASE_URL: `file:${path.join(dir, 'data/acme.db')}`, LOG_LEVEL: 'warn' }

beforeAll(() => {
  // prepack builds dist/ first, so the tarball is never older than the sources.
  const pack = run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root })
  packed = (JSON.parse(expectOk(pack)) as PackResult[])[0]!
  fs.mkdirSync(project)
  const example = path.join(root, 'examples/node-product')
  for (const entry of ['package.json', 'tsconfig.json', 'src', 'test']) fs.cpSync(path.join(example, entry), path.join(project, entry), { recursive: true })
  fs.copyFileSync(path.join(dir, packed.filename), path.join(project, 'portico.tgz'))
  writeLockfile(project, 'portico.tgz')
  const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
    env: { ...localPrebuilds(path.join(dir, 'prebuilds')), SCARF_ANALYTICS: 'false' },
  })
  expectOk(install)
}, 600_000)

afterAll(() => {
  server?.kill('SIGKILL')
  fs.rmSync(dir, { recursive: true, force: true })
})

describe('the packed package', () => {
  it('holds compiled code, types, assets, migrations and the bin, and no tests, examples or sources', () => {
    const files = packed.files.map((f) => f.path)
    for (const f of ['package.json', 'README.md', 'bin/portico.mjs', 'dist/bin.js', 'dist/index.js', 'dist/index.d.ts', 'dist/index.js.map', 'dist/testing.js', 'dist/testing.d.ts']) {
      expect(files, f).toContain(f)
    }
    expect(files).toContain('dist/dashboard/assets/app.css')
    expect(files).toContain('dist/storage/migrations/001-core.js')
    expect(files.filter((f) => /\.test\.|(^|\/)test\/|^examples\/|^src\//.test(f))).toEqual([])
    expect(files.filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))).toEqual([])
    const manifest = JSON.parse(fs.readFileSync(path.join(project, 'node_modules/portico/package.json'), 'utf8'))
    expect(Object.keys(manifest.dependencies)).not.toContain('tsx')
    // Nothing in the installed tree brings tsx: the package runs on plain node.
    expect(fs.existsSync(path.join(project, 'node_modules/tsx'))).toBe(false)
  })

  it('type-checks the product against the shipped types with tsc --strict, and its own tests pass', () => {
    expectOk(run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--strict']))
    expectOk(run(process.execPath, ['--test', 'dist/test/']))
  }, 180_000)

  it('ships declarations that are themselves clean under --strict without skipLibCheck', () => {
    fs.writeFileSync(
      path.join(project, 'check-types.ts'),
      [
        "import { createPortico, defineModule, defineOperation, z, ApiError, runCli, type Portico, type PorticoSettings } from 'portico'",
        "import { startTestPortico, type TestPortico } from 'portico/testing'",
        "const op = defineOperation({ id: 'x.get', method: 'get', path: '/x', summary: 'X', scope: 'read', output: z.object({ n: z.number().openapi({ example: 1 }) }), handler: async () => ({ n: 1 }) })",
        "export const m = defineModule({ name: 'x', operations: [op] })",
        "export const settings: PorticoSettings = { port: 0, trustProxy: true }",
        '// @ts-expect-error: a port is a number (the types are real, not any)',
        "export const wrong: PorticoSettings = { port: '3000' }",
        'export const make = (): Promise<Portico> => createPortico({ modules: [m], config: settings })',
        'export const test = (): Promise<TestPortico> => startTestPortico({ modules: [m] })',
        "export const fail = () => new ApiError('not_found', 'gone')",
        'export const cli = runCli',
      ].join('\n'),
    )
    const tsc = run(process.execPath, [
      'node_modules/typescript/bin/tsc',
      ...['--noEmit', '--strict', '--skipLibCheck', 'false', '--module', 'nodenext', '--moduleResolution', 'nodenext'],
      ...['--target', 'es2022', '--lib', 'es2023', '--types', 'node', 'check-types.ts'],
    ])
    // Other libraries' own declarations may need the DOM library; Portico's and this file may not.
    const ours = (tsc.stdout + tsc.stderr).split('\n').filter((line) => /^(node_modules\/portico\/|check-types\.ts)/.test(line))
    expect(ours).toEqual([])
  }, 120_000)

  it('serves the product beside Portico with plain node; the installed bin mints a key', async () => {
    // The product's own CLI (runCli with its modules) applies its migration; the installed bin
    // knows only Portico's and leaves the product's in place.
    expect(expectOk(run(process.execPath, ['dist/src/portico-cli.js', 'migrate'], { env: dbEnv }))).toContain('inventory-001-items')
    const minted = expectOk(run(path.join(project, 'node_modules/.bin/portico'), ['org', 'create', '--name', 'Acme'], { env: dbEnv }))
    const key = /(ptk_\w+)/.exec(minted)?.[1]
    expect(key, minted).toBeDefined()

    const url = await startServer(process.execPath, ['dist/src/server.js'])
    const auth = { authorization: `Bearer ${key}` }
    const json = { ...auth, 'content-type': 'application/json' }

    expect((await fetch(`${url}/app/status`)).status).toBe(200)
    const created = await fetch(`${url}/api/v1/items`, { method: 'POST', headers: json, body: JSON.stringify({ sku: 'W-1', name: 'Widget', quantity: 3 }) })
    expect(created.status, await created.clone().text()).toBe(201)
    const listed = await fetch(`${url}/api/v1/items`, { headers: auth })
    expect(listed.status).toBe(200)
    expect(((await listed.json()) as { data: { sku: string }[] }).data.map((i) => i.sku)).toEqual(['W-1'])
    const anonymous = await fetch(`${url}/api/v1/items`)
    expect(anonymous.status).toBe(401)
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('missing_api_key')

    const catalog = (await (await fetch(`${url}/api/v1/catalog`, { headers: auth })).json()) as { data: { id: string; callable: boolean }[] }
    expect(catalog.data.filter((op) => op.id.startsWith('items.'))).toEqual([
      expect.objectContaining({ id: 'items.list', callable: true }),
      expect.objectContaining({ id: 'items.create', callable: true }),
    ])
    const openapi = (await (await fetch(`${url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>>; webhooks: Record<string, unknown> }
    expect(openapi.paths['/items']?.get?.operationId).toBe('items.list')
    expect(openapi.paths['/items']?.post?.operationId).toBe('items.create')
    expect(Object.keys(openapi.webhooks)).toContain('item.created')
    const mcp = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { ...json, accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(mcp.status).toBe(200)
    const tools = ((await mcp.json()) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name)
    expect(tools).toEqual(expect.arrayContaining(['items_list', 'items_create']))

    // Everything else `npm start` serves, minus the example product.
    for (const page of ['/healthz', '/readyz', '/reference', '/dashboard-assets/app.css', '/dashboard-assets/chart.umd.min.js']) {
      expect((await fetch(url + page)).status, page).toBe(200)
    }
    expect((await fetch(`${url}/api/v1/documents`, { headers: auth })).status).toBe(404)

    expect(await stopServer()).toBe(0)

    // The installed bin's own server: Portico alone, on the same database.
    const alone = await startServer(path.join(project, 'node_modules/.bin/portico'), ['start'])
    const ids = ((await (await fetch(`${alone}/api/v1/catalog`, { headers: auth })).json()) as { data: { id: string }[] }).data.map((op) => op.id)
    expect(ids).toContain('keys.create')
    expect(ids.filter((id) => id.startsWith('items.'))).toEqual([])
    expect((await fetch(`${alone}/dashboard-assets/app.js`)).status).toBe(200)
    expect(await stopServer()).toBe(0)
  }, 120_000)
})
