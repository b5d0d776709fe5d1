export type RefillInterval = 'daily' | 'monthly'

/**
 * The refill period a moment belongs to, as text that sorts in time order: `2026-12-02` (daily,
 * from 00:00 UTC) or `2026-12` (monthly, from the 1st at 00:00 UTC). A balance remembers the
 * period it was last set or refilled in; a later period means one refill is due, and only one
 * however many periods passed.
 */
export function refillPeriod(interval: RefillInterval | null, at: number): string {
  const iso = new Date(at).toISOString()
  return interval === 'monthly' ? iso.slice(0, 7) : iso.slice(0, 10)
}

/** When the period holding `at` ends: the next refill (ms since the epoch). */
export function nextRefillAt(interval: RefillInterval, at: number): number {
  const d = new Date(at)
  return interval === 'monthly' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
}
