/** The exact moment, to the second: what a time's tooltip shows. */
export const exactUtc = (iso: string) => `${iso.slice(0, 19).replace('T', ' ')} UTC`

const units: [limit: number, size: number, name: string][] = [
  [60, 1, 's'],
  [3600, 60, 'min'],
  [86_400, 3600, 'h'],
  [30 * 86_400, 86_400, 'd'],
]

/**
 * `3 min ago`, `in 23 h`, `12 d ago`; past a month the date itself (`2026-06-12`), which reads
 * better than a count of months. Under a minute in the past is `just now`.
 */
export function relativeTime(iso: string, now = Date.now()): string {
  const at = Date.parse(iso)
  if (Number.isNaN(at)) return iso
  const seconds = Math.round((at - now) / 1000)
  const size = Math.abs(seconds)
  if (seconds <= 0 && size < 60) return 'just now'
  for (const [limit, unit, name] of units) {
    if (size < limit) {
      const n = Math.floor(size / unit)
      return seconds > 0 ? `in ${n} ${name}` : `${n} ${name} ago`
    }
  }
  return iso.slice(0, 10)
}
