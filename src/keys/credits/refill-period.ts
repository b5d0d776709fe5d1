export type RefillInterval = 'daily' | 'monthly'

/**
 * The refill period a moment belongs to, as text that sorts in time order: `2026-12-02` (daily,
 * from 00:00 UTC) or `2026-12` (monthly, from the 1st at 00:00 UTC). A balance remembers the
 * period it was last set or refilled in; a later period means one refill is due, and only one
 * however many periods passed.
 */
export function refillPeriod(interval: RefillInterval | null, at: number): string {
  // Every spend asks: the answer is kept until the period it names ends (formatting a date costs µs).
  const cached = interval === 'monthly' ? monthly : daily
  if (at >= cached.from && at < cached.until) return cached.value
  const iso = new Date(at).toISOString()
  const next = interval === 'monthly' ? { value: iso.slice(0, 7), from: startOf('monthly', at), until: nextRefillAt('monthly', at) } : { value: iso.slice(0, 10), from: startOf('daily', at), until: nextRefillAt('daily', at) }
  if (interval === 'monthly') monthly = next
  else daily = next
  return next.value
}

let daily = { value: '', from: 0, until: 0 }
let monthly = { value: '', from: 0, until: 0 }

function startOf(interval: RefillInterval, at: number): number {
  const d = new Date(at)
  return interval === 'monthly' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
}

/** When the period holding `at` ends: the next refill (ms since the epoch). */
export function nextRefillAt(interval: RefillInterval, at: number): number {
  const d = new Date(at)
  return interval === 'monthly' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
}
