import { ApiError, siblingModule, WorkerPool, WorkerTaskError } from '../../src/index.js'
import type { InspectResult, PdfTask } from './pdf-worker.js'
import type { FieldsTable, RecipientsTable } from './tables.js'

export const MAX_FILE_BYTES = 10 * 1024 * 1024
/** What every stream of an uploaded PDF may decode to, in total: a decompression bomb stops here. */
export const MAX_DECODED_BYTES = 100 * 1024 * 1024
export const MAX_PAGES = 500
/** Per PDF task (parse or stamp), on a worker thread; past it the worker is terminated. */
export const PDF_TASK_TIMEOUT_MS = 20_000
/** The PDF worker's V8 heap; decoded stream bytes are held to MAX_DECODED_BYTES besides. */
export const PDF_WORKER_HEAP_MB = 512

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`

// One pool for the process, started on the first PDF: parsing never runs on the event loop.
const workers = new WorkerPool<PdfTask, InspectResult | Uint8Array>({
  module: siblingModule(import.meta.url, 'pdf-worker'),
  name: 'esign-pdf',
  timeoutMs: PDF_TASK_TIMEOUT_MS,
  resourceLimits: { maxOldGenerationSizeMb: PDF_WORKER_HEAP_MB, maxYoungGenerationSizeMb: 64 },
})

/** Loads a PDF worker ahead of the first upload (the module's start). */
export const warmPdfWorkers = (): void => workers.warm()

/** Shuts the PDF workers down (the module's stop); a later PDF starts a new one. */
export const closePdfWorkers = (): Promise<void> => workers.close()

/** A pool failure as an answer: a file that cannot be read within the limits is the client's problem. */
function workerProblem(error: unknown, field: string): never {
  if (!(error instanceof WorkerTaskError)) throw error
  if (error.reason === 'busy' || error.reason === 'closed') {
    throw new ApiError('service_unavailable', 'Too many PDFs are being processed right now; retry shortly')
  }
  const why =
    error.reason === 'timeout'
      ? `could not be read within ${PDF_TASK_TIMEOUT_MS / 1000} s`
      : error.reason === 'resources'
        ? `needs more than ${PDF_WORKER_HEAP_MB} MB of memory to read`
        : 'could not be read'
  throw new ApiError('validation_error', `${field} ${why}`, { fields: { [field]: `${why}; simplify the PDF or split it` } })
}

/**
 * A real PDF: the magic bytes, streams that decode to at most 100 MB, at most 500 pages and a
 * successful parse, all off the event loop. Returns its page count.
 */
export async function inspectPdf(bytes: Uint8Array, field = 'file'): Promise<number> {
  if (bytes.byteLength > MAX_FILE_BYTES) throw new ApiError('payload_too_large', `${field} is over 10 MB`, { fields: { [field]: 'must be at most 10 MB' } })
  if (bytes.byteLength === 0) throw new ApiError('validation_error', `${field} is empty`, { fields: { [field]: 'is empty' } })
  // The magic bytes alone would let any file named .pdf through; the parse alone is slower to refuse junk.
  const magic = Buffer.from(bytes.subarray(0, 5)).toString('latin1')
  if (magic !== '%PDF-') throw new ApiError('validation_error', `${field} is not a PDF`, { fields: { [field]: 'must be a PDF file' } })
  let result: InspectResult
  try {
    result = (await workers.run({ kind: 'inspect', bytes, maxDecodedBytes: MAX_DECODED_BYTES, maxPages: MAX_PAGES })) as InspectResult
  } catch (error) {
    workerProblem(error, field)
  }
  if (result.ok) return result.pages
  const why = {
    damaged: 'is a damaged, empty or encrypted PDF',
    decoded_size: `decompresses to more than ${mb(MAX_DECODED_BYTES)}`,
    pages: `has more than ${MAX_PAGES} pages`,
  }[result.problem]
  throw new ApiError('validation_error', `${field} ${why}`, { fields: { [field]: why } })
}

/** Stamps each signer's typed name (and dates) into their fields, on the PDF worker; the result is the completed PDF. */
export async function stampSignatures(original: Uint8Array, recipients: RecipientsTable[], fields: FieldsTable[], completedAt: Date): Promise<Uint8Array> {
  try {
    return (await workers.run({ kind: 'stamp', original, recipients, fields, completedAt: completedAt.toISOString() })) as Uint8Array
  } catch (error) {
    if (error instanceof WorkerTaskError && (error.reason === 'busy' || error.reason === 'closed')) {
      throw new ApiError('service_unavailable', 'Too many PDFs are being processed right now; retry shortly')
    }
    throw error
  }
}
