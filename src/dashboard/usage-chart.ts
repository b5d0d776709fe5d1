/** One row of `GET /usage`. */
export interface UsageRow {
  key_id: string
  key_prefix: string | null
  key_name: string | null
  day: string
  outcome: '2xx' | '4xx' | '429' | '5xx'
  count: number
}

export interface ChartData {
  labels: string[]
  datasets: { label: string; data: number[]; backgroundColor?: string }[]
}

export interface KeyTotals {
  keyId: string
  label: string
  total: number
  byOutcome: Record<UsageRow['outcome'], number>
}

export interface UsageSummary {
  days: string[]
  byKey: ChartData
  byOutcome: ChartData
  keys: KeyTotals[]
  totals: Record<UsageRow['outcome'], number> & { all: number }
}

export const outcomes = ['2xx', '4xx', '429', '5xx'] as const
/** Colours that read as their meaning: success, client error, slowed down, our fault. */
const outcomeColours: Record<UsageRow['outcome'], string> = { '2xx': '#2e9d5b', '4xx': '#e0a526', '429': '#8d5bd6', '5xx': '#d4483b' }
const DAY_MS = 86_400_000
/** Past this many keys a chart is noise: the busiest are drawn, the rest summed as one series. */
const MAX_SERIES = 8
const keyColours = ['#2f5bea', '#14a38b', '#e07a1f', '#8d5bd6', '#3aa0d8', '#c2409a', '#7a8a19', '#b8860b']
const otherColour = '#9aa2b1'

/** Every UTC day from `from` to `to` inclusive, so quiet days show as zero rather than vanish. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = []
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10))
  return days
}

/** Shapes `GET /usage` for the two charts (per key, per outcome) and the table beside them. */
export function summarizeUsage(usage: { from: string; to: string; data: UsageRow[] }): UsageSummary {
  const days = daysBetween(usage.from, usage.to)
  const index = new Map(days.map((d, i) => [d, i]))
  const perKey = new Map<string, KeyTotals & { perDay: number[] }>()
  const perOutcome = Object.fromEntries(outcomes.map((o) => [o, days.map(() => 0)])) as Record<UsageRow['outcome'], number[]>
  const totals = { '2xx': 0, '4xx': 0, '429': 0, '5xx': 0, all: 0 }
  for (const row of usage.data) {
    const i = index.get(row.day)
    if (i === undefined) continue
    let key = perKey.get(row.key_id)
    if (!key) {
      const label = row.key_prefix ? `${row.key_name ?? 'Unnamed'} (${row.key_prefix}…)` : `Deleted key ${row.key_id.slice(0, 8)}`
      key = { keyId: row.key_id, label, total: 0, byOutcome: { '2xx': 0, '4xx': 0, '429': 0, '5xx': 0 }, perDay: days.map(() => 0) }
      perKey.set(row.key_id, key)
    }
    key.perDay[i]! += row.count
    key.total += row.count
    key.byOutcome[row.outcome] += row.count
    perOutcome[row.outcome][i]! += row.count
    totals[row.outcome] += row.count
    totals.all += row.count
  }
  const keys = [...perKey.values()].sort((a, b) => b.total - a.total)
  const labels = days.map((d) => d.slice(5))
  return {
    days,
    byKey: { labels, datasets: keySeries(keys, days.length) },
    byOutcome: { labels, datasets: outcomes.map((o) => ({ label: o, data: perOutcome[o], backgroundColor: outcomeColours[o] })) },
    keys: keys.map(({ perDay: _perDay, ...k }) => k),
    totals,
  }
}

function keySeries(keys: { label: string; perDay: number[] }[], length: number): ChartData['datasets'] {
  const drawn = keys.length > MAX_SERIES ? keys.slice(0, MAX_SERIES - 1) : keys
  const series = drawn.map((k, i) => ({ label: k.label, data: k.perDay, backgroundColor: keyColours[i % keyColours.length]! }))
  const rest = keys.slice(drawn.length)
  if (rest.length > 0) {
    const data = Array.from({ length }, (_, i) => rest.reduce((sum, k) => sum + k.perDay[i]!, 0))
    series.push({ label: `${rest.length} other keys`, data, backgroundColor: otherColour })
  }
  return series
}
