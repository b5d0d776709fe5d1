/** Helpers shared by the example's tests: uploads, a ready-to-send document, and reading a stamped PDF. */
import { inflateSync } from 'node:zlib'
import type { TestServer } from '../../test/harness.js'
import { makePdf } from '../../test/pdf-fixture.js'

export function pdfForm(bytes: Uint8Array, options: { title?: string; type?: string; name?: string; recipients?: { name: string; email: string; role?: string }[] } = {}): FormData {
  const form = new FormData()
  form.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: options.type ?? 'application/pdf' }), options.name ?? 'contract.pdf')
  form.append('title', options.title ?? 'Q4 vendor agreement')
  for (const [i, r] of (options.recipients ?? [{ name: 'Ada Lovelace', email: 'ada@example.com', role: 'SIGNER' }]).entries()) {
    form.append(`recipients[${i}][name]`, r.name)
    form.append(`recipients[${i}][email]`, r.email)
    if (r.role) form.append(`recipients[${i}][role]`, r.role)
  }
  return form
}

/** A sent document whose signers each have a SIGNATURE field; answers the send response. */
export async function sentDocument(server: TestServer, key: string, pdf: Uint8Array, signers: { name: string; email: string; role?: string }[], title = 'Contract') {
  const created = await server.api('POST', '/documents', { key, body: { title, file_base64: Buffer.from(pdf).toString('base64'), recipients: signers } })
  if (created.status !== 201) throw new Error(created.text)
  for (const [i, r] of created.body.recipients.entries()) {
    if (r.role === 'VIEWER') continue
    await server.api('POST', `/documents/${created.body.id}/fields`, { key, body: { type: 'SIGNATURE', page: 1, x: 72, y: 100 + i * 60, width: 200, height: 40, recipientId: r.id } })
  }
  const sent = await server.api('POST', `/documents/${created.body.id}/send`, { key })
  if (sent.status !== 200) throw new Error(sent.text)
  return sent.body
}

/**
 * A one-page document with one signer and their SIGNATURE field, a template made from it, and
 * the template's public direct link.
 */
export async function directLinkTemplate(server: TestServer, key: string, signer = { name: 'Sam Signer', email: 'sam@example.com' }) {
  const file_base64 = Buffer.from(await makePdf(1)).toString('base64')
  const doc = (await server.api('POST', '/documents', { key, body: { title: 'NDA', file_base64, recipients: [signer] } })).body
  await server.api('POST', `/documents/${doc.id}/fields`, { key, body: { type: 'SIGNATURE', page: 1, x: 72, y: 100, width: 200, height: 40, recipientId: doc.recipients[0].id } })
  const template = (await server.api('POST', '/templates', { key, body: { title: 'NDA', document_id: doc.id } })).body
  const url: string = (await server.api('POST', `/templates/${template.id}/direct-link`, { key })).body.url
  return { doc, template, url }
}

/** The signing form as a signer sends it: with the consent box ticked unless `consent` is false. */
export const sign = (url: string, name: string, action = 'sign', consent = true) =>
  fetch(url, { method: 'POST', body: new URLSearchParams({ name, action, ...(consent ? { consent: 'yes' } : {}) }) })

/** Whether a PDF's (possibly compressed) content streams draw `text`, as pdf-lib writes it: a hex string. */
export function pdfDraws(bytes: Uint8Array, text: string): boolean {
  const hex = Buffer.from(text, 'latin1').toString('hex').toUpperCase()
  const raw = Buffer.from(bytes).toString('latin1')
  for (const match of raw.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let content = match[1]!
    try {
      content = inflateSync(Buffer.from(content, 'latin1')).toString('latin1')
    } catch {
      // an uncompressed stream
    }
    if (content.toUpperCase().includes(hex) || content.includes(`(${text})`)) return true
  }
  return false
}
