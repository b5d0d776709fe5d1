import { ApiError, type PageContext, type PageSpec } from '../../src/index.js'
import { loadFile } from './documents.js'
import { escapeHtml, htmlPage, notValidPage, oneLine, readForm, unavailablePage } from './html.js'
import { noticeCompleted } from './mail.js'
import { signingAssetPages } from './signing-assets.js'
import { askedTo, CONSENT, findByToken, recordAnswer, type SigningTarget } from './signing.js'

/**
 * `/sign/{token}`: where a recipient reads and signs (or declines) without an account. The token
 * in the URL is the only credential, so every answer about an unknown token is the same 404.
 */
async function signingPage(request: Request, params: Record<string, string>, ctx: PageContext): Promise<Response> {
  const token = params.token ?? ''
  const embed = new URL(request.url).searchParams.get('embed') === '1'
  const target = await findByToken(ctx.db, token)
  if (!target) return notValidPage()
  if (await ctx.isSuspended(target.recipient.org_id)) return unavailablePage()
  const { recipient, loaded } = target
  if (loaded.doc.status !== 'PENDING' || recipient.status !== 'PENDING') return answeredPage(token, target, embed, request.method === 'POST' ? 409 : 200)
  if (recipient.role === 'VIEWER') {
    return htmlPage(loaded.doc.title, `<h1>${escapeHtml(loaded.doc.title)}</h1>${sentBy(target)}<p class="muted">You were sent this document to read; nothing to sign.</p>${preview(token)}`, {
      embed,
      preview: true,
      status: request.method === 'POST' ? 403 : 200,
    })
  }
  if (request.method === 'GET') return formPage(token, target, embed)

  const form = await readForm(request)
  if (!form) return formPage(token, target, embed, 'The form could not be read. Try again.')
  const action = form.get('action') === 'decline' ? 'decline' : 'sign'
  const name = oneLine(form.get('name'), 200)
  if (action === 'sign' && name.length < 2) return formPage(token, target, embed, 'Type your full name to sign.')
  // Consent is part of the signature: without the box ticked nothing is signed (a decline needs none).
  if (action === 'sign' && form.get('consent') !== 'yes') return formPage(token, target, embed, 'Tick the box to agree to sign electronically; nothing was signed.')
  try {
    const after = await ctx.transaction(recipient.org_id, (tx) => recordAnswer(tx, target, action, name))
    ctx.log.info({ document_id: loaded.doc.id, recipient_id: recipient.id, action, status: after.doc.status }, `recipient ${action === 'sign' ? 'signed' : 'declined'}`)
    noticeCompleted(ctx, after)
    const title = escapeHtml(loaded.doc.title)
    if (action === 'decline') return htmlPage('Declined', `<h1 class="bad">You declined to sign</h1><p>${title}</p><p class="muted">The sender will see that you declined.</p>`, { embed })
    const next = after.doc.status === 'COMPLETED' ? 'Everyone has signed: the document is complete.' : 'Waiting for the other signers.'
    return htmlPage('Signed', `<h1 class="ok">Signed. Thank you, ${escapeHtml(name)}.</h1><p>${title}</p><p class="muted">${next}</p>`, { embed })
  } catch (error) {
    // Suspended between the look and the write: the transaction refused, nothing was recorded.
    if (error instanceof ApiError && error.code === 'organization_suspended') return unavailablePage()
    if (!(error instanceof ApiError && error.code === 'conflict')) throw error
    // Someone answered first (another tab, another signer's decline): show where things stand now.
    const now = await findByToken(ctx.db, token)
    return now ? answeredPage(token, now, embed, 409) : notValidPage()
  }
}

/** The PDF the recipient is asked to sign (the signed copy once everyone has signed), opened in the browser. */
async function signingPdf(_request: Request, params: Record<string, string>, ctx: PageContext): Promise<Response> {
  const target = await findByToken(ctx.db, params.token ?? '')
  if (!target) return notValidPage()
  if (await ctx.isSuspended(target.recipient.org_id)) return unavailablePage()
  const file = await loadFile(ctx.db, target.recipient.org_id, target.recipient.document_id)
  const bytes = file.status === 'COMPLETED' && file.completed_file ? file.completed_file : file.file
  return new Response(bytes as Uint8Array<ArrayBuffer>, {
    headers: {
      'content-type': 'application/pdf',
      'content-disposition': 'inline; filename="document.pdf"',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-robots-tag': 'noindex',
      // The sender chose this file: whatever it embeds loads nothing and runs in no one's frame.
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    },
  })
}

/** Relative to the page's own URL (`/sign/{token}`), so the link works behind any public address or path prefix. */
const pdfHref = (token: string) => `${escapeHtml(token)}/document.pdf`
const pdfLink = (token: string) => `<p><a href="${pdfHref(token)}" target="_blank" rel="noopener">Read the document (PDF)</a></p>`

/** The pages drawn in place by assets/preview.mjs (PDF.js), above the link that opens the file itself. */
const preview = (token: string) =>
  `<section id="preview" class="preview" data-pdf="${pdfHref(token)}" aria-label="Preview of the document"></section><p class="muted" id="preview-status" aria-live="polite"></p>${pdfLink(token)}`

/** Who asks: the organisation that sent the document, by the name it has in Portico. */
const sentBy = ({ orgName, recipient, loaded }: SigningTarget) =>
  `<p class="lead"><strong>${escapeHtml(orgName)}</strong> sent you “${escapeHtml(loaded.doc.title)}” ${askedTo(recipient.role)}.</p>`

function formPage(token: string, target: SigningTarget, embed: boolean, error?: string): Response {
  const { recipient, loaded } = target
  const mine = loaded.fields.filter((f) => f.recipient_id === recipient.id)
  const pages = [...new Set(mine.map((f) => f.page))].sort((a, b) => a - b)
  const where = mine.length ? `Your signature goes in ${mine.length} field${mine.length > 1 ? 's' : ''} on page${pages.length > 1 ? 's' : ''} ${pages.join(', ')}.` : ''
  const title = loaded.doc.title
  // No action attribute: the form posts back to this very URL, token and ?embed included.
  return htmlPage(
    `Sign: ${title}`,
    `<h1>${escapeHtml(title)}</h1>${sentBy(target)}<p class="muted">For ${escapeHtml(recipient.name)} &lt;${escapeHtml(recipient.email)}&gt;. ${where}</p>${preview(token)}
${error ? `<p class="bad" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post">
<label for="name">Type your full name to sign</label>
<input id="name" name="name" class="sig" autocomplete="name" required minlength="2" maxlength="200" value="${escapeHtml(recipient.name)}">
<label class="check"><input type="checkbox" id="consent" name="consent" value="yes" required> <span>${escapeHtml(CONSENT)}</span></label>
<div class="row"><button class="primary" name="action" value="sign" type="submit">Sign document</button>
<button class="secondary" name="action" value="decline" type="submit" formnovalidate>Decline</button></div></form>`,
    { status: error ? 400 : 200, embed, preview: true },
  )
}

function answeredPage(token: string, target: SigningTarget, embed: boolean, status = 200): Response {
  const { recipient, loaded } = target
  const title = escapeHtml(loaded.doc.title)
  const mine = { PENDING: 'You have not answered', SIGNED: 'You signed', DECLINED: 'You declined' }[recipient.status]
  const doc = { DRAFT: 'is not out for signature', PENDING: 'is waiting for the other signers', COMPLETED: 'is complete', DECLINED: 'was declined' }[loaded.doc.status]
  return htmlPage(loaded.doc.title, `<h1>${title}</h1>${sentBy(target)}<p class="muted">${mine}; the document ${doc}.</p>${preview(token)}`, { embed, status, preview: true })
}

export const signingPages: PageSpec[] = [
  // Before `/sign/:token/…`: the files every signing page loads (no token; a token is never this short).
  ...signingAssetPages,
  { method: 'get', path: '/sign/:token', handler: signingPage, secretParams: ['token'] },
  { method: 'post', path: '/sign/:token', handler: signingPage, secretParams: ['token'] },
  { method: 'get', path: '/sign/:token/document.pdf', handler: signingPdf, secretParams: ['token'] },
]
