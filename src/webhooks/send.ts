import http from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { assertPublicHost } from './address-guard.js'

export interface SendResult {
  status: number | null
  error: string | null
  latencyMs: number
  retryAfterSeconds: number | null
}

const TIMEOUT_MS = 15_000
const MAX_RESPONSE_BYTES = 64 * 1024

/**
 * The connection goes to the address this lookup checked, so a name that re-resolves to a private
 * address between the check and the connect (DNS rebinding) is still refused.
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    assertPublicHostOrAny(hostname, allowPrivate).then(
      (addresses) => {
        const wantAll = typeof options === 'object' && options !== null && (options as { all?: boolean }).all
        if (wantAll) (callback as (err: null, a: { address: string; family: number }[]) => void)(null, addresses)
        else callback(null, addresses[0]!.address, addresses[0]!.family)
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, '', 0),
    )
  }
}

async function assertPublicHostOrAny(hostname: string, allowPrivate: boolean) {
  if (!allowPrivate) return assertPublicHost(hostname)
  const { lookup } = await import('node:dns/promises')
  return lookup(hostname, { all: true, verbatim: true })
}

/** POSTs one signed delivery; only a 2xx counts as success. */
export function send(url: string, headers: Record<string, string>, body: string, allowPrivate: boolean): Promise<SendResult> {
  const started = performance.now()
  const target = new URL(url)
  const client = target.protocol === 'https:' ? https : http
  return new Promise((resolve) => {
    const finish = (status: number | null, error: string | null, retryAfter: string | undefined = undefined) => {
      const seconds = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : retryAfter ? Math.max(0, Math.ceil((Date.parse(retryAfter) - Date.now()) / 1000)) || null : null
      resolve({ status, error, latencyMs: Math.round(performance.now() - started), retryAfterSeconds: seconds })
    }
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Portico-Webhooks/1', 'content-length': Buffer.byteLength(body), ...headers },
        lookup: guardedLookup(allowPrivate),
        timeout: TIMEOUT_MS,
      },
      (response) => {
        let received = 0
        response.on('data', (chunk: Buffer) => {
          received += chunk.length
          if (received > MAX_RESPONSE_BYTES) response.destroy()
        })
        response.on('end', () => finish(response.statusCode ?? null, null, response.headers['retry-after'] as string | undefined))
        response.on('error', () => finish(response.statusCode ?? null, null, response.headers['retry-after'] as string | undefined))
      },
    )
    request.on('timeout', () => request.destroy(new Error('timed out after 15 s')))
    request.on('error', (err) => finish(null, err.message.slice(0, 300)))
    request.end(body)
  })
}
