import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)
const assetDir = path.dirname(require.resolve('swagger-ui-dist/package.json'))

/** Swagger UI's files, served from the installed package: no CDN at run time. */
export const referenceAssets: Record<string, { type: string; body: Buffer }> = Object.fromEntries(
  [
    ['swagger-ui.css', 'text/css; charset=utf-8'],
    ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
    ['favicon-32x32.png', 'image/png'],
  ].map(([file, type]) => [file!, { type: type!, body: readFileSync(path.join(assetDir, file!)) }]),
)

const STYLE = 'body{margin:0} .topbar{display:none}'

/**
 * The page's Content-Security-Policy: its own scripts and styles only (the one inline style by its
 * hash), images from itself or data: URIs (Swagger UI's icons), requests to itself and to the API's
 * public address ("Try it out"), nothing framing it. Everything comes from node_modules, so the
 * page works offline.
 */
export function referencePagePolicy(publicUrl: string): string {
  const api = new URL(publicUrl).origin
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${api}`,
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ')
}

export function referencePageHtml(assetBase: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portico API reference</title>
<link rel="icon" href="${assetBase}/favicon-32x32.png">
<link rel="stylesheet" href="${assetBase}/swagger-ui.css">
<style>${STYLE}</style>
</head>
<body>
<div id="reference"></div>
<script src="${assetBase}/swagger-ui-bundle.js"></script>
<script src="${assetBase}/init.js"></script>
</body>
</html>`
}

export function referenceInitScript(specUrl: string): string {
  return `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specUrl)}, dom_id: '#reference', deepLinking: true,
  persistAuthorization: false, tryItOutEnabled: true, displayRequestDuration: true, filter: true, validatorUrl: null });`
}
