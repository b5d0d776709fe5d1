import { createHash } from 'node:crypto'
import { ApiError } from '../../core/errors.js'
import type { Principal } from '../../core/principal.js'
import type { IdempotencyStore } from '../../idempotency/idempotency-store.js'
import type { Exchange } from '../exchange.js'
import type { Step } from '../pipeline.js'
import { captureAnswer } from '../capture-answer.js'
import { captureStream } from '../stream-answer.js'
import type { StreamResult } from '../../core/operation.js'
import { redactSecrets } from '../redact-secrets.js'

/** The largest passed-through answer kept for replays. */
const STORED_ANSWER_LIMIT = 1024 * 1024

/**
 * A handler's own Response (a forwarded answer) is kept for replays when it is JSON of at most
 * 1 MB: it is read here and sent on from what was read. Any other is sent as it streams and its
 * key released, so a retry runs again.
 */
async function storePassthrough(store: IdempotencyStore, claim: Claim, x: Exchange, response: Response): Promise<void> {
  const captured = await captureAnswer(response, STORED_ANSWER_LIMIT)
  x.answer = { kind: 'passthrough', status: captured.response.status, response: captured.response }
  if (captured.json === undefined) return store.release(claim.owner, claim.key)
  return store.complete(claim.owner, claim.key, captured.response.status, captured.json)
}

/** The same for an answer passed on as a Node stream. */
async function storeStream(store: IdempotencyStore, claim: Claim, x: Exchange, result: StreamResult): Promise<void> {
  const captured = await captureStream(result, STORED_ANSWER_LIMIT)
  x.answer = { kind: 'stream', status: captured.result.status, result: captured.result }
  if (captured.json === undefined) return store.release(claim.owner, claim.key)
  return store.complete(claim.owner, claim.key, captured.result.status, captured.json)
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/

interface Claim {
  owner: string
  key: string
}

const claims = new WeakMap<Exchange, Claim>()

function ownerOf(principal: Principal): string {
  switch (principal.kind) {
    case 'reseller_key':
      return `reseller:${principal.resellerId}`
    case 'org_key':
      return `org:${principal.orgId}`
    case 'service_key':
      return `service:${principal.keyId}`
    case 'user':
      return `user:${principal.userId}`
  }
}

/** The operation, its path parameters and the body as sent: what a reused key must repeat exactly. */
function fingerprint(x: Exchange): string {
  const { op, params } = x.request
  return createHash('sha256')
    .update(`${op.method} ${op.id} ${JSON.stringify(params ?? {})}\n`)
    .update(x.bodyBytes ?? new Uint8Array())
    .digest('hex')
}

/**
 * Stripe-style `Idempotency-Key` on POST: the first request with a key owns it and its answer is
 * stored (its secrets redacted: a replay never repeats a key or a webhook secret); a later one
 * with the same key and request replays that answer, with a different request is 409. A client
 * error is the answer and is stored; a failure on our side frees the key for a retry.
 */
export function idempotency(store: IdempotencyStore): Step {
  return {
    name: 'idempotency',
    enter(x) {
      const { op, idempotencyKey } = x.request
      if (idempotencyKey === undefined || op.method !== 'post' || !op.idempotent) return
      if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw new ApiError('validation_error', 'Idempotency-Key must be 1–255 visible ASCII characters', { fields: { 'Idempotency-Key': 'is invalid' } })
      }
      const owner = ownerOf(x.principal!)
      return store.claim(owner, idempotencyKey, fingerprint(x)).then((claim) => {
        if (claim.kind === 'mismatch') throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request')
        if (claim.kind === 'in_progress') throw new ApiError('conflict', 'A request with this Idempotency-Key is still in progress; retry shortly')
        if (claim.kind === 'replay') x.answer = { kind: 'replay', status: claim.status, json: claim.body }
        else claims.set(x, { owner, key: idempotencyKey })
      })
    },
    leave(x) {
      const claim = claims.get(x)
      if (!claim) return
      const { answer, error } = x
      if (answer?.kind === 'json') return store.complete(claim.owner, claim.key, answer.status, JSON.stringify(redactSecrets(x.op, answer.body)))
      if (answer?.kind === 'file') return store.complete(claim.owner, claim.key, answer.status, 'null')
      if (answer?.kind === 'passthrough' && answer.status < 500) return storePassthrough(store, claim, x, answer.response)
      if (answer?.kind === 'stream' && answer.status < 500) return storeStream(store, claim, x, answer.result)
      if (!answer && error instanceof ApiError && error.status < 500) {
        return store.complete(claim.owner, claim.key, error.status, JSON.stringify(error.toEnvelope(x.request.meta.requestId)))
      }
      // A failure of ours is not an answer: the key is free again.
      return store.release(claim.owner, claim.key)
    },
  }
}
