import { ApiError, type PageContext, type PageSpec } from '../../src/index.js'
import { logSigningLinks } from './documents.js'
import { escapeHtml, htmlPage, notValidPage, oneLine, readForm, unavailablePage } from './html.js'
import { organisationName } from './signing.js'
import { generateFromTemplate } from './templates.js'
import { esignDb } from './tables.js'
import { hashToken } from './tokens.js'

const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/

/**
 * Each visit creates and sends a document, for anyone who has the link: at most this many per link
 * and per client address, and each one counts in the `send` class of the template's organisation.
 */
export const DIRECT_LINK_LIMITS = {
  perLink: { limit: 100, windowSeconds: 3600 },
  perAddress: { limit: 10, windowSeconds: 3600 },
}

function tooManyPage(retryAfter: number): Response {
  const minutes = Math.ceil(retryAfter / 60)
  return htmlPage(
    'Try again later',
    `<h1>Too many documents from this link</h1><p class="muted">Try again in ${minutes} minute${minutes > 1 ? 's' : ''}.</p>`,
    { status: 429, headers: { 'retry-after': String(retryAfter) } },
  )
}

/**
 * `/d/{token}`: a template's public link. A visitor gives a name and e-mail, becomes the template's
 * first signer on a new document (sent at once), and is taken to its signing page.
 */
async function directLinkPage(request: Request, params: Record<string, string>, ctx: PageContext): Promise<Response> {
  const token = params.token ?? ''
  const template = token.length >= 16 && token.length <= 64
    ? await esignDb(ctx.db).selectFrom('esign_templates').selectAll().where('direct_link_hash', '=', hashToken(token)).executeTakeFirst()
    : undefined
  if (!template) return notValidPage()
  if (await ctx.isSuspended(template.org_id)) return unavailablePage()
  const from = await organisationName(ctx.db, template.org_id)
  if (request.method === 'GET') return directForm(from, template.title)

  const form = await readForm(request)
  const name = oneLine(form?.get('name'), 200)
  const email = oneLine(form?.get('email'), 254).toLowerCase()
  if (name.length < 2 || !EMAIL.test(email)) return directForm(from, template.title, 'Enter your full name and a valid e-mail address.')
  const admitted = await ctx.spend([
    { name: 'direct_link', bucket: template.id, ...DIRECT_LINK_LIMITS.perLink },
    { name: 'direct_link_address', bucket: ctx.clientIp, ...DIRECT_LINK_LIMITS.perAddress },
    { limitClass: 'send', orgId: template.org_id },
  ])
  if (!admitted.allowed) return tooManyPage(admitted.retryAfter)
  let sent
  try {
    sent = await ctx.transaction(template.org_id, (tx) => generateFromTemplate(tx, template, template.title, [{ name, email }], ctx.publicUrl))
  } catch (error) {
    // Suspended since the look above: the transaction refused and wrote nothing.
    if (error instanceof ApiError && error.code === 'organization_suspended') return unavailablePage()
    throw error
  }
  logSigningLinks(ctx.log, sent)
  // 303: the browser follows with a GET, so reloading the signing page never creates a second document.
  return new Response(null, { status: 303, headers: { location: sent.links.get(sent.loaded.recipients[0]!.id)!, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } })
}

function directForm(from: string, title: string, error?: string): Response {
  const lead = error ? `<p class="bad" role="alert">${escapeHtml(error)}</p>` : '<p class="muted">Enter your details to create and sign this document.</p>'
  return htmlPage(
    title,
    `<h1>${escapeHtml(title)}</h1><p class="lead"><strong>${escapeHtml(from)}</strong> asks you to sign “${escapeHtml(title)}”.</p>${lead}
<form method="post"><label for="name">Full name</label><input id="name" name="name" autocomplete="name" required minlength="2" maxlength="200">
<label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="email" required maxlength="254">
<div class="row"><button class="primary" type="submit">Continue to sign</button></div></form>`,
    { status: error ? 400 : 200 },
  )
}

export const directLinkPages: PageSpec[] = [
  { method: 'get', path: '/d/:token', handler: directLinkPage, secretParams: ['token'] },
  { method: 'post', path: '/d/:token', handler: directLinkPage, secretParams: ['token'] },
]
