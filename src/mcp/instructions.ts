import type { Principal } from '../core/principal.js'
import { scopeDescriptions, scopes } from '../core/scopes.js'

/**
 * The server's `instructions`: what Portico is, whose data the tools reach, what the key's scopes
 * allow and how errors and limits come back. Written for the model reading them, once per session.
 */
export function serverInstructions(principal: Principal): string {
  const held = 'scopes' in principal ? principal.scopes : []
  const who =
    principal.kind === 'reseller_key'
      ? 'This connection uses a reseller key: the tools provision and manage the organisations of that reseller.'
      : "This connection uses one organisation's API key: every tool reads and changes that organisation's data only; another organisation's ids are not found."
  return [
    "These tools are the product's public API (Portico), one tool per API operation, with the same validation, audit log, events and rate limits as the REST API.",
    who,
    `A key holds scopes, and only the tools its scopes allow are listed. This key holds: ${held.length ? held.map((s) => `\`${s}\``).join(', ') : 'none'}.`,
    `Scopes: ${scopes.map((s) => `\`${s}\`: ${scopeDescriptions[s]}`).join(' ')}`,
    'A failed call is an error result whose text is `{"error":{"code","message","fields"?,"request_id"}}`: `validation_error` names the fields to fix, `rate_limited` means wait and retry, `insufficient_scope` means this key cannot do it.',
    'Tools marked destructive (revoking keys, deleting) cannot be undone: confirm with the person first. Secrets a tool answers (a new key, a webhook secret, a signing link) are shown once: hand them to the person, do not repeat them elsewhere.',
  ].join('\n\n')
}
