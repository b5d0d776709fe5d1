import { describe, expect, it } from 'vitest'
import { daysBetween, summarizeUsage, type UsageRow } from './usage-chart.js'

const row = (key: string, day: string, outcome: UsageRow['outcome'], count: number, prefix: string | null = `ptk_${key}`): UsageRow => ({
  key_id: `${key}0000000-0000-4000-8000-000000000000`.slice(0, 36),
  key_prefix: prefix,
  key_name: prefix ? `key ${key}` : null,
  day,
  outcome,
  count,
})

describe('usage chart data', () => {
  it('has every day of the period, quiet ones as zero, across a month end', () => {
    expect(daysBetween('2026-01-30', '2026-02-02')).toEqual(['2026-01-30', '2026-01-31', '2026-02-01', '2026-02-02'])
  })

  it('sums per key and per outcome, busiest key first, deleted keys named as such', () => {
    const usage = summarizeUsage({
      from: '2026-03-01',
      to: '2026-03-03',
      data: [row('a', '2026-03-01', '2xx', 5), row('a', '2026-03-03', '429', 2), row('b', '2026-03-02', '2xx', 9), row('c', '2026-03-02', '5xx', 1, null)],
    })
    expect(usage.byKey.labels).toEqual(['03-01', '03-02', '03-03'])
    expect(usage.byKey.datasets.map((d) => [d.label, d.data])).toEqual([
      ['key b (ptk_b…)', [0, 9, 0]],
      ['key a (ptk_a…)', [5, 0, 2]],
      [expect.stringMatching(/^Deleted key c/), [0, 1, 0]],
    ])
    expect(Object.fromEntries(usage.byOutcome.datasets.map((d) => [d.label, d.data]))).toEqual({
      '2xx': [5, 9, 0],
      '4xx': [0, 0, 0],
      '429': [0, 0, 2],
      '5xx': [0, 1, 0],
    })
    expect(usage.totals).toEqual({ '2xx': 14, '4xx': 0, '429': 2, '5xx': 1, all: 17 })
    expect(usage.keys[1]).toMatchObject({ label: 'key a (ptk_a…)', total: 7, byOutcome: { '2xx': 5, '429': 2 } })
  })

  it('draws the seven busiest keys and sums the rest as one series', () => {
    const data = 'abcdefghij'.split('').map((k, i) => row(k, '2026-03-01', '2xx', 100 - i))
    const { byKey } = summarizeUsage({ from: '2026-03-01', to: '2026-03-01', data })
    expect(byKey.datasets).toHaveLength(8)
    expect(byKey.datasets.at(-1)).toMatchObject({ label: '3 other keys', data: [93 + 92 + 91] })
  })
})
