import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { PageSpec } from '../../src/index.js'
import { htmlPage } from './html.js'

const resolve = createRequire(import.meta.url).resolve

/**
 * The only files `/sign/assets/{name}` serves, each by its own name: the PDF.js build that draws
 * the preview (the legacy build, for signers on older browsers), its worker, the script that uses
 * it, and the signature font (Dancing Script, SIL OFL), in the subsets that cover Latin names.
 * Nothing else under node_modules is reachable: a name not listed here is a 404.
 */
const files: Record<string, { path: string; type: string }> = {
  'pdf.mjs': { path: resolve('pdfjs-dist/legacy/build/pdf.min.mjs'), type: 'text/javascript; charset=utf-8' },
  'pdf.worker.mjs': { path: resolve('pdfjs-dist/legacy/build/pdf.worker.min.mjs'), type: 'text/javascript; charset=utf-8' },
  'preview.mjs': { path: fileURLToPath(new URL('./assets/signing-preview.js', import.meta.url)), type: 'text/javascript; charset=utf-8' },
  'signature-latin.woff2': { path: resolve('@fontsource/dancing-script/files/dancing-script-latin-400-normal.woff2'), type: 'font/woff2' },
  'signature-latin-ext.woff2': { path: resolve('@fontsource/dancing-script/files/dancing-script-latin-ext-400-normal.woff2'), type: 'font/woff2' },
}

const loaded = new Map<string, Promise<Uint8Array>>()

async function signingAsset(_request: Request, params: Record<string, string>): Promise<Response> {
  const name = params.file ?? ''
  const file = Object.hasOwn(files, name) ? files[name] : undefined
  if (!file) return htmlPage('Not found', '<h1>Not found</h1>', { status: 404 })
  let bytes = loaded.get(name)
  if (!bytes) loaded.set(name, (bytes = readFile(file.path)))
  return new Response((await bytes) as Uint8Array<ArrayBuffer>, {
    headers: {
      'content-type': file.type,
      // The same bytes for every signer and no credential in the address: a shared cache may keep them.
      'cache-control': 'public, max-age=86400',
      'x-content-type-options': 'nosniff',
      // The worker runs under its own response's policy: it fetches nothing and evaluates no strings.
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'cross-origin-resource-policy': 'same-origin',
    },
  })
}

export const signingAssetPages: PageSpec[] = [{ method: 'get', path: '/sign/assets/:file', handler: signingAsset }]
