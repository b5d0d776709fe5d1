import type { Hono } from 'hono'
import { referenceAssets, referenceInitScript, referencePageHtml, referencePagePolicy } from '../openapi/reference-page.js'
import type { HttpEnv } from './env.js'

/** `/api/v1/openapi.json` and the interactive reference at `/api/v1/reference` (and `/reference`). */
export function docsRoutes(document: () => object, urls: { readonly publicUrl: string }) {
  let cached: string | undefined
  return function mountDocs(app: Hono<HttpEnv>): void {
    const json = () => (cached ??= JSON.stringify(document()))
    app.get('/api/v1/openapi.json', (c) => c.body(json(), 200, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' }))
    app.get('/openapi.json', (c) => c.redirect('/api/v1/openapi.json', 301))
    const page = referencePageHtml('/api/v1/reference/assets')
    for (const path of ['/api/v1/reference', '/reference']) {
      app.get(path, (c) => c.html(page, 200, { 'Content-Security-Policy': referencePagePolicy(urls.publicUrl) }))
    }
    app.get('/api/v1/reference/assets/init.js', (c) =>
      c.body(referenceInitScript('/api/v1/openapi.json'), 200, { 'Content-Type': 'text/javascript; charset=utf-8' }),
    )
    app.get('/api/v1/reference/assets/:file', (c) => {
      const asset = referenceAssets[c.req.param('file')]
      if (!asset) return c.notFound()
      return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=86400' })
    })
  }
}
