import { ApiError, type PageContext, type PageSpec } from '../../src/index.js'
import { findByToken, hashToken, recordSignature } from './documents.js'
import { generateFromTemplate, type Slot } from './operations/templates.js'
import { esignDb } from './tables.js'

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

function page(title: string, body: string, options: { status?: number; embed?: boolean } = {}): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><style>
body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0;display:flex;justify-content:center}
main{background:#fff;margin:48px 16px;padding:32px;border-radius:12px;box-shadow:0 2px 12px #0001;max-width:520px;width:100%}
h1{font-size:22px;margin:0 0 8px}p.muted{color:#5b6474;margin-top:0}label{display:block;font-weight:600;margin:20px 0 6px}
input{width:100%;box-sizing:border-box;font-size:18px;padding:10px;border:1px solid #c5cad3;border-radius:8px}
input:focus,button:focus{outline:3px solid #7aa7ff;outline-offset:2px}.sig{font-family:"Brush Script MT",cursive;font-size:26px}
.row{display:flex;gap:12px;margin-top:24px}button{font-size:16px;padding:10px 18px;border-radius:8px;border:0;cursor:pointer}
.primary{background:#2f5bea;color:#fff}.secondary{background:#eef0f4;color:#1d2330}.ok{color:#137333}.bad{color:#b3261e}
</style></head><body><main>${body}</main></body></html>`
  const ancestors = options.embed ? '*' : "'none'"
  return new Response(html, {
    status: options.status ?? 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors ${ancestors}; base-uri 'none'`,
      'x-frame-options': options.embed ? 'ALLOWALL' : 'DENY',
      'referrer-policy': 'no-referrer',
    },
  })
}

const gone = () => page('Link not valid', '<h1>This link is not valid</h1><p class="muted">It may have expired or been replaced. Ask the sender for a new one.</p>', { status: 404 })

async function signingPage(request: Request, params: Record<string, string>, ctx: PageContext): Promise<Response> {
  const token = params.token ?? ''
  const embed = new URL(request.url).searchParams.get('embed') === '1'
  const target = await findByToken(ctx.db, token)
  if (!target) return gone()
  const { recipient, loaded } = target
  const title = loaded.doc.title
  if (request.method === 'POST') {
    const form = await request.formData()
    const action = form.get('action') === 'decline' ? 'decline' : 'sign'
    const name = String(form.get('name') ?? '').trim().slice(0, 200)
    if (action === 'sign' && name.length < 2) return renderForm(token, title, recipient.name, recipient.email, 'Type your full name to sign.', embed)
    if (loaded.doc.status !== 'PENDING' || recipient.status !== 'PENDING') return answered(title, recipient.status, loaded.doc.status, embed)
    try {
      const after = await ctx.transaction(recipient.org_id, (tx) => recordSignature(tx, target, action, name))
      ctx.log.info({ document_id: loaded.doc.id, recipient: recipient.email, action }, 'recipient answered')
      return action === 'decline'
        ? page('Declined', `<h1 class="bad">You declined to sign</h1><p>${escape(title)}</p>`, { embed })
        : page('Signed', `<h1 class="ok">Signed. Thank you, ${escape(name)}.</h1><p>${escape(title)}</p><p class="muted">${after.doc.status === 'COMPLETED' ? 'Everyone has signed: the document is complete.' : 'Waiting for the other signers.'}</p>`, { embed })
    } catch (error) {
      if (error instanceof ApiError && error.code === 'conflict') return answered(title, 'SIGNED', loaded.doc.status, embed)
      throw error
    }
  }
  if (loaded.doc.status !== 'PENDING' || recipient.status !== 'PENDING') return answered(title, recipient.status, loaded.doc.status, embed)
  if (recipient.role === 'VIEWER') return page(title, `<h1>${escape(title)}</h1><p class="muted">You were sent this document to view; nothing to sign.</p>`, { embed })
  return renderForm(token, title, recipient.name, recipient.email, undefined, embed)
}

function renderForm(token: string, title: string, name: string, email: string, error: string | undefined, embed: boolean): Response {
  return page(
    `Sign: ${title}`,
    `<h1>${escape(title)}</h1><p class="muted">For ${escape(name)} &lt;${escape(email)}&gt;</p>
${error ? `<p class="bad" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/sign/${escape(token)}${embed ? '?embed=1' : ''}">
<label for="name">Type your full name to sign</label>
<input id="name" name="name" class="sig" autocomplete="name" required minlength="2" maxlength="200" value="${escape(name)}">
<div class="row"><button class="primary" name="action" value="sign" type="submit">Sign document</button>
<button class="secondary" name="action" value="decline" type="submit" formnovalidate>Decline</button></div></form>`,
    { status: error ? 400 : 200, embed },
  )
}

function answered(title: string, recipientStatus: string, docStatus: string, embed: boolean): Response {
  return page(title, `<h1>${escape(title)}</h1><p class="muted">You have already answered (${escape(recipientStatus.toLowerCase())}); the document is ${escape(docStatus.toLowerCase())}.</p>`, { embed })
}

/** `/d/{token}`: a template's public link. The visitor becomes its first signer and signs at once. */
async function directLinkPage(request: Request, params: Record<string, string>, ctx: PageContext): Promise<Response> {
  const template = await esignDb(ctx.db).selectFrom('esign_templates').selectAll().where('direct_link_hash', '=', hashToken(params.token ?? '')).executeTakeFirst()
  if (!template) return gone()
  const slots = JSON.parse(template.slots) as Slot[]
  if (request.method === 'POST') {
    const form = await request.formData()
    const name = String(form.get('name') ?? '').trim().slice(0, 200)
    const email = String(form.get('email') ?? '').trim().slice(0, 254)
    if (name.length < 2 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return directForm(params.token!, template.title, 'Enter your name and a valid e-mail.')
    const { loaded, links } = await ctx.transaction(template.org_id, (tx) =>
      generateFromTemplate(tx, template.org_id, template, template.title, [{ name, email }, ...slots.slice(1)], ctx.publicUrl),
    )
    const link = links.get(loaded.recipients[0]!.id)!
    return new Response(null, { status: 303, headers: { location: new URL(link).pathname } })
  }
  return directForm(params.token!, template.title)
}

function directForm(token: string, title: string, error?: string): Response {
  return page(
    title,
    `<h1>${escape(title)}</h1>${error ? `<p class="bad" role="alert">${escape(error)}</p>` : '<p class="muted">Enter your details to create and sign this document.</p>'}
<form method="post" action="/d/${escape(token)}"><label for="name">Full name</label><input id="name" name="name" autocomplete="name" required>
<label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="email" required>
<div class="row"><button class="primary" type="submit">Continue to sign</button></div></form>`,
    { status: error ? 400 : 200 },
  )
}

export const esignPages: PageSpec[] = [
  { method: 'get', path: '/sign/:token', handler: signingPage },
  { method: 'post', path: '/sign/:token', handler: signingPage },
  { method: 'get', path: '/d/:token', handler: directLinkPage },
  { method: 'post', path: '/d/:token', handler: directLinkPage },
]
