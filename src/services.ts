import type { PorticoConfig } from './core/config.js'
import type { LimitClassSpec, PorticoModule } from './core/module.js'
import { KeyService, type KeyInvalidation } from './keys/key-service.js'
import { KeyStore } from './keys/key-store.js'
import { MemberService } from './members/member-service.js'
import { OrgStore } from './orgs/org-store.js'
import { defaultLimitClasses, LimitPolicies } from './ratelimit/policies.js'
import { ResellerService, type OwnerInvalidation } from './resellers/reseller-service.js'
import { ResellerStore } from './resellers/reseller-store.js'
import type { DatabaseHandle } from './storage/db.js'
import { WebhookService } from './webhooks/webhook-service.js'

/**
 * Portico's defaults, then the modules' classes (a module may tighten `send` or add its own), then
 * the deployer's (PORTICO_RATE_LIMITS): the last word wins.
 */
export function limitClassesOf(modules: PorticoModule[], deployer: LimitClassSpec[]): LimitClassSpec[] {
  const byName = new Map(defaultLimitClasses.map((c) => [c.name, c]))
  for (const m of modules) for (const c of m.limitClasses ?? []) byName.set(c.name, c)
  for (const c of deployer) byName.set(c.name, c)
  return [...byName.values()]
}

export interface ServiceOptions {
  database: Pick<DatabaseHandle, 'db'>
  config: PorticoConfig
  /** Every module mounted (Portico's own included): their events and rate-limit classes. */
  modules: PorticoModule[]
  /** Drops changed keys from the instances' caches; a process with no cache of its own (the CLI, the worker) may leave it out. */
  invalidation?: KeyInvalidation & OwnerInvalidation
  /** Wakes the webhook dispatcher when an event is fanned out; nothing to wake without one. */
  nudge?: () => void
  /** Credits a serving process holds for a key and has not spent (MemoryCreditMeter): part of the balances it shows. */
  heldCredits?: (keyId: string, version: number, period: string) => number
}

export interface PorticoServices {
  keys: KeyService
  orgs: OrgStore
  members: MemberService
  resellers: ResellerService
  webhooks: WebhookService
  policies: LimitPolicies
}

const noInvalidation: KeyInvalidation & OwnerInvalidation = { invalidateKey: async () => {}, invalidateOwner: async () => {} }

/** The one place the server, the CLI and the worker build Portico's services from. */
export function buildServices(options: ServiceOptions): PorticoServices {
  const { database, config, modules } = options
  const { db } = database
  const invalidation = options.invalidation ?? noInvalidation
  const policies = new LimitPolicies(limitClassesOf(modules, config.rateLimitClasses))
  const prefixes = { org: config.keyPrefix, reseller: config.resellerKeyPrefix, service: config.serviceKeyPrefix }
  const keys = new KeyService(
    new KeyStore(db),
    prefixes,
    invalidation,
    () => policies.names(),
    (name) => (policies.has(name) ? policies.resolve(name, {}, {}) : undefined),
    options.heldCredits,
  )
  const members = new MemberService(db, config)
  const events = modules.flatMap((m) => m.events ?? [])
  return {
    keys,
    orgs: new OrgStore(db),
    members,
    // Suspension drops the organisation's cached keys so its next request sees the new status.
    resellers: new ResellerService(new ResellerStore(db), keys, members, invalidation),
    webhooks: new WebhookService(db, config.webhooksAllowPrivate, () => events, options.nudge ?? (() => {}), config.webhooksPerOrg),
    policies,
  }
}
