/**
 * The key from any of the accepted headers: `Authorization: Bearer <key>`, `Authorization: <key>`,
 * or `X-API-Key: <key>`. Returns '' for a header that is present but empty.
 */
export function extractKey(authorization: string | undefined, xApiKey: string | undefined): string | null {
  if (authorization !== undefined) {
    // The usual form, `Bearer <key>` with nothing to trim, in one slice.
    if (authorization.startsWith('Bearer ') && authorization.length > 7 && authorization.charCodeAt(7) > 32 && authorization.charCodeAt(authorization.length - 1) > 32) {
      return authorization.slice(7)
    }
    const value = authorization.trim()
    const space = value.indexOf(' ')
    if (space === -1) return value
    const scheme = value.slice(0, space)
    // Any other scheme (Basic, Token…) is not a Portico key; give back something that fails parsing.
    return scheme.toLowerCase() === 'bearer' ? value.slice(space + 1).trim() : value
  }
  if (xApiKey !== undefined) return xApiKey.trim()
  return null
}
