// The signing page's preview: each page of the PDF drawn into a canvas by PDF.js, served from this
// same origin with its worker. Without script the page still links to the PDF.
import { getDocument, GlobalWorkerOptions } from './pdf.mjs'

GlobalWorkerOptions.workerSrc = new URL('./pdf.worker.mjs', import.meta.url).href

/** A long document shows its first pages; the link under the preview opens the whole file. */
const MAX_PAGES = 20

async function show(box, status) {
  const pdf = await getDocument({
    url: new URL(box.dataset.pdf, document.baseURI).href,
    // The page's policy allows no string evaluation; PDF.js then interprets instead of compiling.
    isEvalSupported: false,
    disableRange: true,
    disableStream: true,
  }).promise
  const count = Math.min(pdf.numPages, MAX_PAGES)
  box.dataset.pages = String(pdf.numPages)
  const ratio = window.devicePixelRatio || 1
  for (let n = 1; n <= count; n++) {
    const page = await pdf.getPage(n)
    const width = Math.max(box.clientWidth, 200)
    const viewport = page.getViewport({ scale: (width / page.getViewport({ scale: 1 }).width) * ratio })
    const canvas = document.createElement('canvas')
    canvas.width = Math.floor(viewport.width)
    canvas.height = Math.floor(viewport.height)
    canvas.setAttribute('role', 'img')
    canvas.setAttribute('aria-label', `Page ${n} of ${pdf.numPages}`)
    box.append(canvas)
    await page.render({ canvas, canvasContext: canvas.getContext('2d'), viewport }).promise
    box.dataset.rendered = String(n)
  }
  status.textContent = pdf.numPages > count ? `The first ${count} of ${pdf.numPages} pages; open the PDF for the rest.` : `${pdf.numPages} page${pdf.numPages > 1 ? 's' : ''}.`
  box.dataset.state = 'done'
}

const box = document.getElementById('preview')
const status = document.getElementById('preview-status')
if (box && status) {
  show(box, status).catch(() => {
    box.dataset.state = 'failed'
    status.textContent = 'The preview could not be shown here; open the PDF instead.'
  })
}
