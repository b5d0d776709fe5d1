/** What a suite covered, printed once it is done: operations (or routes) × cases, per doorway. */
export class Coverage {
  readonly #cases = new Map<string, Map<string, number>>()

  constructor(
    readonly suite: string,
    readonly unit = 'operations',
  ) {}

  count(doorway: string, target: string, cases = 1): void {
    const byTarget = this.#cases.get(doorway) ?? new Map<string, number>()
    byTarget.set(target, (byTarget.get(target) ?? 0) + cases)
    this.#cases.set(doorway, byTarget)
  }

  total(): number {
    return [...this.#cases.values()].reduce((sum, m) => sum + [...m.values()].reduce((a, b) => a + b, 0), 0)
  }

  report(): string {
    const lines = [...this.#cases].map(([doorway, byTarget]) => {
      const cases = [...byTarget.values()].reduce((a, b) => a + b, 0)
      return `  ${doorway}: ${byTarget.size} ${this.unit}, ${cases} cases`
    })
    return `${this.suite}: ${this.total()} cases\n${lines.join('\n')}\n`
  }

  /** Written to the runner's output (not the console, which vitest buffers per test). */
  print(): void {
    process.stdout.write(`\n[coverage] ${this.report()}`)
  }
}
