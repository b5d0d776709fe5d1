import { ApiError } from '../core/errors.js'

export function tooLarge(limit: number): ApiError {
  return new ApiError('payload_too_large', `The request body is over ${Math.round(limit / 1024 / 1024)} MB`)
}

/** Reads a body stream whole, failing with 413 as soon as it goes past `limit` bytes. */
export async function readStreamCapped(stream: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength
    if (size > limit) throw tooLarge(limit)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}
