import type { LimitClassSpec } from '../core/module.js'
import type { RateLimitOverride } from '../keys/key-store.js'
import type { RateLimitPolicy } from './limiter.js'

export const defaultLimitClasses: LimitClassSpec[] = [
  { name: 'general', limit: 300, windowSeconds: 60 },
  { name: 'send', limit: 30, windowSeconds: 60 },
]

/** Deployer classes, then organisation overrides, then key overrides: the most specific wins. */
export class LimitPolicies {
  readonly #classes = new Map<string, RateLimitPolicy>()

  constructor(classes: LimitClassSpec[]) {
    for (const c of classes) this.#classes.set(c.name, { name: c.name, limit: c.limit, windowSeconds: c.windowSeconds })
  }

  has(name: string): boolean {
    return this.#classes.has(name)
  }

  names(): string[] {
    return [...this.#classes.keys()]
  }

  resolve(
    name: string,
    orgOverrides: Record<string, RateLimitOverride>,
    keyOverrides: Record<string, RateLimitOverride>,
  ): RateLimitPolicy {
    const base = this.#classes.get(name)
    if (!base) throw new Error(`unknown rate-limit class "${name}"`)
    const override = keyOverrides[name] ?? orgOverrides[name]
    return override ? { name, limit: override.limit, windowSeconds: override.window_seconds } : base
  }
}
