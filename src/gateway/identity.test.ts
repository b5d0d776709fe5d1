import { jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { IdentityCaller, IdentitySigner } from './identity.js'

describe('identity token', () => {
  const secret = new TextEncoder().encode('identity-test-secret-0123456789abcdef')
  const signer = new IdentitySigner('kb', secret)

  it('is a JWT any library verifies, with every claim, whatever the length of the caller part (padded to 3-byte groups)', async () => {
    // Metadata of 0, 1 and 2 bytes past a 3-byte group, one of them beyond ASCII.
    for (const meta of [{}, { a: 'x' }, { a: 'xy' }, { plan: 'süß ✓' }, { n: 1, list: [1, 2, 3] }]) {
      const caller = new IdentityCaller('org-1', null, 'key-1', ['read', 'write'], meta)
      const token = signer.sign(caller, 'req_1', 'POST', '/v1/docs?q="a"', 'ab'.repeat(32), 1_800_000_000_000)
      const { payload, protectedHeader } = await jwtVerify(token, secret, { issuer: 'portico', audience: 'kb', currentDate: new Date(1_800_000_000_000) })
      expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' })
      expect(payload).toEqual({
        org_id: 'org-1',
        org_external_id: null,
        key_id: 'key-1',
        scopes: ['read', 'write'],
        meta,
        request_id: 'req_1',
        method: 'POST',
        path: '/v1/docs?q="a"',
        body_sha256: 'ab'.repeat(32),
        iss: 'portico',
        aud: 'kb',
        iat: 1_800_000_000,
        exp: 1_800_000_060,
      })
      // The claims in their order, as the contract lists them.
      const json = Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')
      expect(Object.keys(JSON.parse(json))).toEqual(['org_id', 'org_external_id', 'key_id', 'scopes', 'meta', 'request_id', 'method', 'path', 'body_sha256', 'iss', 'aud', 'iat', 'exp'])
    }
  })
})
