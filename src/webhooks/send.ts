import dns from 'node:dns/promises'
import http from 'node:http'
import https from 'node:https'
import net, { type LookupFunction } from 'node:net'
import { assertPublicHost, UnsafeUrlError } from './address-guard.js'

export interface SendResult {
  status: number | null
  error: string | null
  latencyMs: number
  retryAfterSeconds: number | null
  /** The first `RESPONSE_EXCERPT_BYTES` of the answer's body, as UTF-8 text; null without an answer. */
  responseBody?: string | null
  /** Cut by `signal` before an answer: the attempt does not count. */
  cancelled?: boolean
}

export interface SendOptions {
  allowPrivate: boolean
  /** Whole-attempt budget (DNS, connect, request, response); at most 15 s. */
  timeoutMs: number
  /** Clock for an HTTP-date `Retry-After`. */
  now?: () => number
  /** Aborting it cuts the attempt (shutdown); the result is then `cancelled`. */
  signal?: AbortSignal
}

export const SEND_TIMEOUT_MS = 15_000
const MAX_RESPONSE_BYTES = 64 * 1024
/** How much of a receiver's answer is kept for the delivery log. */
export const RESPONSE_EXCERPT_BYTES = 2048

/** The kept start of a body: whole UTF-8 characters only (a cut one is dropped), no NUL (PostgreSQL text refuses it). */
export function responseExcerpt(chunks: Buffer[]): string {
  const bytes = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES)
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/\uFFFD$/, '').replaceAll('\u0000', '')
}

/**
 * The connection goes to the address this lookup checked, so a name that re-resolves to a private
 * address between the check and the connect (DNS rebinding) is still refused.
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const resolved = allowPrivate ? dns.lookup(hostname, { all: true, verbatim: true }) : assertPublicHost(hostname)
    resolved.then(
      (addresses) => {
        if (options.all) (callback as (err: null, a: { address: string; family: number }[]) => void)(null, addresses)
        else callback(null, addresses[0]!.address, addresses[0]!.family)
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
    )
  }
}

/** Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (!value) return null
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v)
  const at = Date.parse(v)
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000))
}

/** POSTs one signed delivery; only a 2xx counts as success. Never rejects: failures are results. */
export async function send(url: string, headers: Record<string, string>, body: string, options: SendOptions): Promise<SendResult> {
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  const target = new URL(url)
  // Node skips `lookup` for an IP-literal host, so such a URL is checked here instead.
  const literal = target.hostname.replace(/^\[|\]$/g, '')
  if (!options.allowPrivate && net.isIP(literal)) {
    try {
      await assertPublicHost(literal)
    } catch (err) {
      return { status: null, error: err instanceof UnsafeUrlError ? err.message : 'refused', latencyMs: elapsed(), retryAfterSeconds: null }
    }
  }
  const client = target.protocol === 'https:' ? https : http
  const timeoutMs = Math.min(options.timeoutMs, SEND_TIMEOUT_MS)
  return new Promise((resolve) => {
    let settled = false
    const finish = (status: number | null, error: string | null, retryAfter?: string, cancelled = false) => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      options.signal?.removeEventListener('abort', cancel)
      const result: SendResult = {
        status,
        error,
        latencyMs: elapsed(),
        retryAfterSeconds: parseRetryAfter(retryAfter, (options.now ?? Date.now)()),
        responseBody: status === null ? null : responseExcerpt(kept),
      }
      resolve(cancelled ? { ...result, cancelled } : result)
    }
    // Once the receiver has answered, the attempt counts even if its body is cut short.
    let answered: { status: number | null; retryAfter: string | undefined } | undefined
    const kept: Buffer[] = []
    let keptBytes = 0
    const cancel = () => {
      request.destroy()
      if (answered) finish(answered.status, null, answered.retryAfter)
      else finish(null, 'cancelled: the dispatcher stopped', undefined, true)
    }
    const request = client.request(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Portico-Webhooks/1', 'content-length': Buffer.byteLength(body), ...headers },
      lookup: guardedLookup(options.allowPrivate),
    })
    // One budget for the whole attempt: a socket timeout alone would let a slow drip go on for ever.
    const deadline = setTimeout(() => {
      request.destroy()
      finish(null, `timed out after ${(timeoutMs / 1000).toFixed(timeoutMs < 10_000 ? 1 : 0)} s`)
    }, timeoutMs)
    request.on('response', (response) => {
      const status = response.statusCode ?? null
      const retryAfter = response.headers['retry-after']
      answered = { status, retryAfter }
      let received = 0
      // The body is read (so the connection can be reused), its first 2 KB kept; a huge one is cut short.
      response.on('data', (chunk: Buffer) => {
        if (keptBytes < RESPONSE_EXCERPT_BYTES) {
          kept.push(chunk.subarray(0, RESPONSE_EXCERPT_BYTES - keptBytes))
          keptBytes += Math.min(chunk.length, RESPONSE_EXCERPT_BYTES - keptBytes)
        }
        received += chunk.length
        if (received > MAX_RESPONSE_BYTES) {
          response.destroy()
          finish(status, null, retryAfter)
        }
      })
      response.on('end', () => finish(status, null, retryAfter))
      response.on('close', () => finish(status, null, retryAfter))
      response.on('error', () => finish(status, null, retryAfter))
    })
    request.on('error', (err) => finish(null, err.message.slice(0, 300)))
    if (options.signal?.aborted) return cancel()
    options.signal?.addEventListener('abort', cancel, { once: true })
    request.end(body)
  })
}
