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
    // A shared organisation class is a pool of its own (`shared`), not each key's limit.
    const org = orgOverrides[name]
    const override = keyOverrides[name] ?? (org && !org.shared ? org : undefined)
    return override ? { name, limit: override.limit, windowSeconds: override.window_seconds } : base
  }

  /** The organisation's pool for a class it shares across its keys, named `org:<class>` in headers. */
  shared(name: string, orgOverrides: Record<string, RateLimitOverride>): RateLimitPolicy | undefined {
    const org = orgOverrides[name]
    return org?.shared ? { name: `org:${name}`, limit: org.limit, windowSeconds: org.window_seconds } : undefined
  }
}
