import type { Context } from 'hono'
import { setResponseHeader } from '../response-header.js'
import { ensureHeader } from './ensure-header.js'

/** Conservative defaults every response carries unless it names its own. */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['X-Frame-Options', 'DENY'],
]

/**
 * Conservative defaults for every response, set before the route runs; a page that sets its own
 * value keeps it. Returns whether they went onto Node's response (else `ensureSecurityHeaders`
 * adds them to the final Response).
 */
export function setSecurityHeaders(c: Context): boolean {
  let onNode = false
  for (const [name, value] of SECURITY_HEADERS) onNode = setResponseHeader(c, name, value)
  return onNode
}

export function ensureSecurityHeaders(c: Context): void {
  for (const [name, value] of SECURITY_HEADERS) ensureHeader(c, name, value)
}
