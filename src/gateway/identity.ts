import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'

/** What the upstream learns of the caller, in `Portico-Identity` and the `Portico-*` headers. */
export interface IdentityClaims {
  org_id: string
  org_external_id: string | null
  /** The calling key; null for a dashboard session, which has none. */
  key_id: string | null
  scopes: readonly string[]
  meta: Readonly<Record<string, unknown>>
  request_id: string
  method: string
  /** The upstream path with its query, as forwarded. */
  path: string
  /** Hex SHA-256 of the forwarded body bytes (of nothing, for a request without a body). */
  body_sha256: string
}

/** The claims that name the caller; the rest name the forwarded request. */
export type CallerClaims = Omit<IdentityClaims, 'method' | 'path' | 'body_sha256'>

/** How long an identity token is good for: the upstream checks `exp`, so a captured one soon stops working. */
export const IDENTITY_TTL_SECONDS = 60

/** The JOSE header of every identity token, encoded once. */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')

/**
 * The caller's part of the claims, the same on every request of one principal: `org_id` to `meta`,
 * made into JSON and encoded once. The JSON is padded with spaces (insignificant whitespace, RFC
 * 8259) to a whole number of 3-byte groups, so its base64url joined to that of the rest of the
 * claims is the base64url of the whole.
 */
export class IdentityCaller {
  /** base64url of `{"org_id":…,"meta":{…}` and its padding. */
  readonly encoded: string

  constructor(
    readonly orgId: string,
    readonly orgExternalId: string | null,
    readonly keyId: string | null,
    readonly scopes: readonly string[],
    meta: Readonly<Record<string, unknown>>,
  ) {
    const json = JSON.stringify({ org_id: orgId, org_external_id: orgExternalId, key_id: keyId, scopes, meta } satisfies Omit<CallerClaims, 'request_id'>).slice(0, -1)
    const bytes = Buffer.from(json)
    this.encoded = Buffer.concat([bytes, Buffer.alloc((3 - (bytes.length % 3)) % 3, ' ')]).toString('base64url')
  }
}

/**
 * Signs `Portico-Identity` for one upstream: a compact JWS (RFC 7515), HS256 over the UTF-8 bytes
 * of its secret, with `iss: "portico"`, `aud: <upstream name>`, `iat` and `exp` 60 s later. The
 * HMAC runs synchronously on a key object made once: the asynchronous Web Crypto path costs a
 * thread-pool round trip and its argument checks on every forwarded request. Any JWT library
 * verifies the result (the gateway tests check it with jose and with Python's `hmac`).
 */
export class IdentitySigner {
  readonly #key: KeyObject
  readonly #audience: string

  constructor(
    readonly audience: string,
    secret: Uint8Array,
  ) {
    this.#key = createSecretKey(secret)
    this.#audience = JSON.stringify(audience)
  }

  /**
   * The token for one forwarded request: who calls (`caller`, encoded once per principal), and
   * what is forwarded. The claims keep one order: the caller's, then `request_id`, `method`,
   * `path`, `body_sha256`, `iss`, `aud`, `iat`, `exp`.
   */
  sign(caller: IdentityCaller, requestId: string, method: string, path: string, bodySha256: string, now = Date.now()): string {
    const iat = Math.floor(now / 1000)
    const rest = `,"request_id":${JSON.stringify(requestId)},"method":${JSON.stringify(method)},"path":${JSON.stringify(path)},"body_sha256":"${bodySha256}","iss":"portico","aud":${this.#audience},"iat":${iat},"exp":${iat + IDENTITY_TTL_SECONDS}}`
    const signingInput = `${HEADER}.${caller.encoded}${Buffer.from(rest).toString('base64url')}`
    return `${signingInput}.${createHmac('sha256', this.#key).update(signingInput).digest('base64url')}`
  }
}
