import { isJson } from './stream-answer.js'

/** The stored copy of a passed-through answer: its status and JSON text, or nothing when it cannot be kept. */
export interface CapturedAnswer {
  /** The same answer for the client, its body re-sent from what was read. */
  response: Response
  /** The body's text when the answer is JSON within the cap; undefined otherwise (not stored). */
  json?: string
}

/**
 * Reads a handler's own Response (a forwarded answer) so that an idempotent request can store it:
 * only a JSON answer of at most `cap` bytes is kept. Anything else is handed back unread (or, past
 * the cap, as what was read followed by the rest of the stream), so the client still gets it whole.
 */
export async function captureAnswer(response: Response, cap: number): Promise<CapturedAnswer> {
  const declared = Number(response.headers.get('content-length') ?? NaN)
  if (!response.body || !isJson(response.headers.get('content-type')) || declared > cap) return { response }
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.byteLength
    if (size > cap) {
      const rest = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk)
        },
        async pull(controller) {
          const next = await reader.read()
          if (next.done) controller.close()
          else controller.enqueue(next.value)
        },
        cancel: (reason) => reader.cancel(reason),
      })
      return { response: new Response(rest, { status: response.status, statusText: response.statusText, headers: response.headers }) }
    }
  }
  const bytes = Buffer.concat(chunks, size)
  return {
    response: new Response(bytes, { status: response.status, statusText: response.statusText, headers: response.headers }),
    json: bytes.toString('utf8'),
  }
}
