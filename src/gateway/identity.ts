import { webcrypto } from 'node:crypto'
import { SignJWT } from 'jose'

/** What the upstream learns of the caller, in `Portico-Identity` and the `Portico-*` headers. */
export interface IdentityClaims {
  org_id: string
  org_external_id: string | null
  /** The calling key; null for a dashboard session, which has none. */
  key_id: string | null
  scopes: string[]
  meta: Record<string, unknown>
  request_id: string
  method: string
  /** The upstream path with its query, as forwarded. */
  path: string
  /** Hex SHA-256 of the forwarded body bytes (of nothing, for a request without a body). */
  body_sha256: string
}

/** How long an identity token is good for: the upstream checks `exp`, so a captured one soon stops working. */
export const IDENTITY_TTL_SECONDS = 60

/**
 * Signs `Portico-Identity` for one upstream: HS256 over the UTF-8 bytes of its secret, with
 * `iss: "portico"`, `aud: <upstream name>`, `iat` and `exp` 60 s later. The HMAC key is imported
 * once, not per request.
 */
export class IdentitySigner {
  readonly #key: Promise<webcrypto.CryptoKey>

  constructor(
    readonly audience: string,
    secret: Uint8Array,
  ) {
    this.#key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  }

  async sign(claims: IdentityClaims, now = Date.now()): Promise<string> {
    const iat = Math.floor(now / 1000)
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('portico')
      .setAudience(this.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + IDENTITY_TTL_SECONDS)
      .sign(await this.#key)
  }
}
