import { ApiError } from '../core/errors.js'
import { formText } from './kit.js'

/**
 * The metadata, credits and IP allow-list fields of the mint and edit forms, as the API's body.
 * Empty fields mean "none": on minting they are left out, on editing they clear what was set
 * (`null`). The operation validates the rest (4 KB, CIDR blocks) exactly as for the API; only what
 * a form can get wrong before that (JSON that does not parse, a count that is not a number) is
 * refused here, naming the field.
 */
export function keyRulesFromForm(form: FormData, mode: 'mint' | 'edit'): Record<string, unknown> {
  const none = mode === 'edit' ? null : undefined
  const body: Record<string, unknown> = {}
  const fields: Record<string, string> = {}

  const metaText = formText(form, 'meta')
  if (metaText) {
    try {
      body.meta = JSON.parse(metaText)
    } catch {
      fields.meta = 'is not valid JSON'
    }
    if (body.meta !== undefined && (body.meta === null || typeof body.meta !== 'object' || Array.isArray(body.meta))) fields.meta = 'must be a JSON object, like {"plan": "pro"}'
  } else if (none !== undefined) body.meta = none

  const remaining = formText(form, 'credits_remaining')
  const amount = formText(form, 'refill_amount')
  const interval = formText(form, 'refill_interval')
  // An edit that leaves the balance as the page showed it sends none: the key may have spent
  // credits since, and setting the balance again would give them back.
  if (mode === 'edit' && formText(form, 'credits_shown') === creditsShown(remaining, amount, interval)) {
    // unchanged
  } else if (remaining) {
    const credits: Record<string, unknown> = { remaining: wholeNumber(remaining, 'credits.remaining', fields) }
    if (interval && interval !== 'none') credits.refill = { amount: wholeNumber(amount || remaining, 'credits.refill.amount', fields), interval }
    body.credits = credits
  } else if (none !== undefined) body.credits = none

  const ips = formText(form, 'allowed_ips')
    .split(/[\s,]+/)
    .filter(Boolean)
  if (ips.length) body.allowed_ips = ips
  else if (none !== undefined) body.allowed_ips = none

  const first = Object.entries(fields)[0]
  if (first) throw new ApiError('validation_error', `${first[0]} ${first[1]}`, { fields })
  return body
}

/** What the edit form showed of the balance, echoed back in a hidden field to tell a change. */
export function creditsShown(remaining: string, amount: string, interval: string): string {
  return `${remaining}|${interval && interval !== 'none' ? `${amount}/${interval}` : ''}`
}

function wholeNumber(text: string, field: string, fields: Record<string, string>): number {
  if (!/^\d{1,10}$/.test(text)) fields[field] = 'must be a whole number'
  return Number(text)
}
