import type { Context } from 'hono'
import { ApiError } from '../core/errors.js'
import type { Operation } from '../core/operation.js'
import { readStreamCapped, tooLarge } from '../runtime/read-stream.js'

export const JSON_LIMIT = 1024 * 1024
export const UPLOAD_LIMIT = 10 * 1024 * 1024
/** Multipart adds boundaries and text fields around a file of at most UPLOAD_LIMIT. */
const MULTIPART_OVERHEAD = 256 * 1024

/** An uploaded file as handlers see it, whichever encoding carried it. */
export interface UploadedFile {
  filename: string
  contentType: string
  bytes: Uint8Array
}

export interface ReadBody {
  value: unknown
  /** The bytes as sent, for the idempotency fingerprint. */
  raw: Uint8Array
}

/** A request body where it is read from: a Hono request, or Node's own. */
export interface BodySource {
  header(name: Lowercase<string>): string | undefined
  /** The bytes as they arrive; null without a body. */
  stream(): AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | null
}

/** A Hono request as a `BodySource`. */
export const honoBody = (c: Context): BodySource => ({ header: (name) => c.req.header(name), stream: () => c.req.raw.body })

/** Reads at most `limit` bytes, failing as soon as the stream goes past it (Content-Length may lie). */
export async function readCapped(source: BodySource, limit: number): Promise<Uint8Array> {
  const declared = Number(source.header('content-length') ?? NaN)
  if (declared > limit) throw tooLarge(limit)
  const body = source.stream()
  return body ? readStreamCapped(body, limit) : new Uint8Array()
}

/** `recipients[0][name]` → ['recipients', 0, 'name'] */
function bracketPath(name: string): (string | number)[] {
  const parts = name.split(/\[|\]\[|\]/).filter((p) => p !== '')
  return parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p))
}

function assignPath(target: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let node: Record<string | number, unknown> = target
  path.forEach((key, i) => {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new ApiError('validation_error', 'Invalid field name', { fields: { [String(key)]: 'is not allowed' } })
    if (i === path.length - 1) {
      node[key] = value
      return
    }
    const nextIsIndex = typeof path[i + 1] === 'number'
    if (node[key] === undefined || typeof node[key] !== 'object') node[key] = nextIsIndex ? [] : {}
    node = node[key] as Record<string | number, unknown>
  })
}

async function parseMultipart(raw: Uint8Array, contentType: string): Promise<Record<string, unknown>> {
  let form: FormData
  try {
    form = await new Response(raw as Uint8Array<ArrayBuffer>, { headers: { 'content-type': contentType } }).formData()
  } catch {
    throw new ApiError('validation_error', 'The multipart body could not be parsed', { fields: { '(body)': 'is not valid multipart/form-data' } })
  }
  const out: Record<string, unknown> = Object.create(null)
  for (const [name, entry] of form.entries()) {
    const value: unknown =
      typeof entry === 'string'
        ? entry
        : ({ filename: entry.name, contentType: entry.type || 'application/octet-stream', bytes: new Uint8Array(await entry.arrayBuffer()) } satisfies UploadedFile)
    assignPath(out, bracketPath(name), value)
  }
  return out
}

/** Reads and decodes the request body per the operation's accepted encodings and size cap. */
export async function readBody(source: BodySource, op: Operation): Promise<ReadBody> {
  const contentType = (source.header('content-type') ?? '').toLowerCase()
  const mediaType = contentType.split(';')[0]!.trim()
  const isJson = mediaType === 'application/json' || mediaType.endsWith('+json')
  const isMultipart = mediaType === 'multipart/form-data'
  if (isMultipart && op.bodyTypes.includes('multipart')) {
    const limit = op.maxBodyBytes ?? UPLOAD_LIMIT + MULTIPART_OVERHEAD
    const raw = await readCapped(source, limit)
    return { value: await parseMultipart(raw, source.header('content-type')!), raw }
  }
  const limit = op.maxBodyBytes ?? JSON_LIMIT
  const raw = await readCapped(source, limit)
  if (raw.byteLength === 0) return { value: {}, raw }
  if (!isJson && mediaType !== '') {
    throw new ApiError('unsupported_media_type', `Content-Type ${mediaType} is not accepted here; send ${op.bodyTypes.map((t) => (t === 'json' ? 'application/json' : 'multipart/form-data')).join(' or ')}`)
  }
  try {
    return { value: JSON.parse(Buffer.from(raw).toString('utf8')), raw }
  } catch {
    throw new ApiError('invalid_json', 'The request body is not valid JSON')
  }
}
