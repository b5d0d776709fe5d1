import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'

/** Everything a page prints that came from a person (titles, names, e-mails) goes through this. */
export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** Which characters each served subset of the signature font covers, as the font package declares them. */
const fontRanges = createRequire(import.meta.url)('@fontsource/dancing-script/unicode.json') as Record<'latin' | 'latin-ext', string>

// The signature font comes from `assets/` beside the page (`/sign/assets/`, see signing-assets.ts):
// a browser fetches it only for text set in it, which only the signing form has.
const FONT = (['latin-ext', 'latin'] as const)
  .map((subset) => `@font-face{font-family:"Dancing Script";font-style:normal;font-weight:400;font-display:swap;src:url(assets/signature-${subset}.woff2) format("woff2");unicode-range:${fontRanges[subset]}}`)
  .join('\n')

const STYLE = `${FONT}
body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0;display:flex;justify-content:center}
main{box-sizing:border-box;background:#fff;margin:48px 16px;padding:32px;border-radius:12px;box-shadow:0 2px 12px #0001;max-width:560px;width:100%;min-width:0;overflow-wrap:anywhere}
@media (max-width:480px){main{margin:12px 8px;padding:20px 16px}}
h1{font-size:22px;margin:0 0 8px}p.muted{color:#5b6474;margin-top:0}label{display:block;font-weight:600;margin:20px 0 6px}
input{width:100%;box-sizing:border-box;font-size:18px;padding:10px;border:1px solid #c5cad3;border-radius:8px}
input:focus,button:focus,a:focus{outline:3px solid #7aa7ff;outline-offset:2px}.sig{font-family:"Dancing Script","Brush Script MT","Segoe Script",cursive;font-size:28px}
.row{display:flex;gap:12px;margin-top:24px}button{font-size:16px;padding:10px 18px;border-radius:8px;border:0;cursor:pointer}
.primary{background:#2f5bea;color:#fff}.secondary{background:#eef0f4;color:#1d2330}.ok{color:#137333}.bad{color:#b3261e}
p.lead{font-size:17px;margin:0 0 4px}label.check{display:flex;gap:10px;align-items:flex-start;font-weight:400;margin:20px 0 0}
label.check input{width:auto;margin-top:4px;flex:none}.preview{margin:16px 0;padding:8px;max-height:70vh;overflow:auto;background:#eef0f4;border-radius:8px}
.preview canvas{display:block;box-sizing:border-box;width:100%;height:auto;margin:0 0 8px;background:#fff;border:1px solid #c5cad3}.preview canvas:last-child{margin:0}.preview p{margin:12px}`

// The one inline style is allowed by its hash: no 'unsafe-inline', no inline script, nothing from elsewhere.
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`

export interface PageOptions {
  status?: number
  headers?: Record<string, string>
  /** Inside a customer's product (an embed token's link): any site may frame the page. */
  embed?: boolean
  /**
   * A page at `/sign/{token}` that draws the PDF: it loads `assets/preview.mjs` and the PDF.js it
   * imports (and its worker), all from this origin, and fetches the PDF from it.
   */
  preview?: boolean
}

/** A complete, self-contained HTML page behind a strict Content-Security-Policy. */
export function htmlPage(title: string, body: string, options: PageOptions = {}): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style>${options.preview ? '<script type="module" src="assets/preview.mjs"></script>' : ''}</head><body><main>${body}</main></body></html>`
  return new Response(html, {
    status: options.status ?? 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      // The URL holds the credential: never cached, never sent on as a referrer, never indexed.
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-robots-tag': 'noindex',
      // frame-ancestors decides framing wherever CSP is understood (it overrides Portico's default
      // X-Frame-Options: DENY, which still guards browsers too old to know it).
      // Scripts, the worker, the fetch of the PDF and the font come from this origin only; no inline script, no eval.
      'content-security-policy': `default-src 'none'; style-src ${STYLE_HASH}; font-src 'self'; ${options.preview ? "script-src 'self'; worker-src 'self'; connect-src 'self'; " : ''}form-action 'self'; base-uri 'none'; frame-ancestors ${options.embed ? '*' : "'none'"}`,
      ...options.headers,
    },
  })
}

export const notValidPage = (): Response =>
  htmlPage('Link not valid', '<h1>This link is not valid</h1><p class="muted">It may have been replaced by a newer one. Ask the sender for a new link.</p>', { status: 404 })

/** A suspended organisation's pages: nothing can be read, signed or created until it is resumed. */
export const unavailablePage = (): Response =>
  htmlPage(
    'Unavailable',
    '<h1>This service is unavailable</h1><p class="muted">The organisation that sent this link is not available at the moment, so nothing can be signed or created here. Try again later, or contact the sender.</p>',
    { status: 403 },
  )

const FORM_LIMIT = 16 * 1024

/** The posted form, read with a small cap: these pages take no uploads and need no more. */
export async function readForm(request: Request): Promise<URLSearchParams | FormData | undefined> {
  if (Number(request.headers.get('content-length') ?? 0) > FORM_LIMIT) return undefined
  const chunks: Uint8Array[] = []
  let size = 0
  if (request.body) {
    for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength
      if (size > FORM_LIMIT) return undefined
      chunks.push(chunk)
    }
  }
  const raw = Buffer.concat(chunks, size)
  const type = request.headers.get('content-type') ?? ''
  if (type.toLowerCase().startsWith('multipart/form-data')) {
    try {
      return await new Response(raw, { headers: { 'content-type': type } }).formData()
    } catch {
      return undefined
    }
  }
  return new URLSearchParams(raw.toString('utf8'))
}

/** A typed name or e-mail as stored: one line, no control characters, bounded. */
export const oneLine = (value: unknown, max: number): string =>
  String(value ?? '')
    .replace(/[\p{Cc}\p{Cf}\s]+/gu, ' ')
    .trim()
    .slice(0, max)
