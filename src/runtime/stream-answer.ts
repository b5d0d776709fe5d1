import { Readable } from 'node:stream'
import { StreamResult } from '../core/operation.js'

/** Whether a Content-Type names JSON (`application/json` or `…+json`). */
export const isJson = (type: string | string[] | null | undefined): boolean => {
  const media = ((Array.isArray(type) ? type[0] : type) ?? '').split(';')[0]!.trim().toLowerCase()
  return media === 'application/json' || media.endsWith('+json')
}

/**
 * A Node stream as a web stream, with back-pressure. A reader that goes away cancels it, which
 * destroys the Node stream; data already on its way is dropped, not pushed into the closed stream
 * (Node 20's Readable.toWeb throws there, outside any request).
 */
export function webStreamOf(body: Readable): ReadableStream<Uint8Array> {
  let done = false
  return new ReadableStream<Uint8Array>({
    start(controller) {
      body.on('data', (chunk: Buffer) => {
        if (done) return
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
        if ((controller.desiredSize ?? 1) <= 0) body.pause()
      })
      body.once('end', () => {
        if (done) return
        done = true
        controller.close()
      })
      body.once('error', (error) => {
        if (done) return
        done = true
        controller.error(error)
      })
    },
    pull() {
      body.resume()
    },
    cancel() {
      done = true
      body.destroy()
    },
  })
}

/** A streamed answer as a web Response (a doorway that is not Node's own HTTP server), with extra header fields. */
export function responseOf(result: StreamResult, extra: Record<string, string> = {}): Response {
  const headers = new Headers()
  for (const name in result.headers) {
    const value = result.headers[name]!
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  for (const name in extra) headers.set(name, extra[name]!)
  return new Response(result.body ? webStreamOf(result.body) : null, { status: result.status, headers })
}

/** The body's text, read whole (an MCP tool result). */
export async function textOf(result: StreamResult): Promise<string> {
  if (!result.body) return ''
  const chunks: Buffer[] = []
  for await (const chunk of result.body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** A captured streamed answer: the same answer to send on, and its JSON text when it may be stored. */
export interface CapturedStream {
  result: StreamResult
  json?: string
}

/**
 * Reads a streamed answer so that an idempotent request can store it: only a JSON answer of at
 * most `cap` bytes is kept. Anything else is handed back unread (or, past the cap, as what was
 * read followed by the rest of the stream), so the client still gets it whole.
 */
export async function captureStream(result: StreamResult, cap: number): Promise<CapturedStream> {
  const { body } = result
  const declared = Number(result.headers['content-length'] ?? NaN)
  if (!body || !isJson(result.headers['content-type']) || declared > cap) return { result }
  const chunks: Buffer[] = []
  let size = 0
  const iterator = body[Symbol.asyncIterator]()
  for (;;) {
    const next = await iterator.next()
    if (next.done) break
    const chunk = next.value as Buffer
    chunks.push(chunk)
    size += chunk.byteLength
    if (size > cap) {
      async function* rest() {
        yield* chunks
        for (;;) {
          const more = await iterator.next()
          if (more.done) return
          yield more.value as Buffer
        }
      }
      return { result: new StreamResult(result.status, result.headers, Readable.from(rest(), { objectMode: false })) }
    }
  }
  const bytes = Buffer.concat(chunks, size)
  return { result: new StreamResult(result.status, result.headers, Readable.from([bytes], { objectMode: false })), json: bytes.toString('utf8') }
}
