import type { BlockList } from 'node:net'
import { ApiError } from '../core/errors.js'
import type { CreditedKey } from './credits/credit-meter.js'
import { allowListOf, ipAllowed } from './ip-allow-list.js'
import type { KeyWithOwner } from './key-store.js'

/**
 * A key's own admission rules, derived once per cached key row: its IP allow-list and whether
 * it has a credit balance. A key with neither carries two nulls, and admission tests two fields.
 */
export interface KeyRules {
  allowList: BlockList | null
  credited: CreditedKey | null
  /**
   * Answers of the allow-list by client address: BlockList.check walks every entry (about 6 µs
   * for five), and a key is used from a handful of addresses. Bounded; emptied when full.
   */
  checked?: Map<string, boolean>
}

const CHECKED_MAX = 256

const NONE: KeyRules = Object.freeze({ allowList: null, credited: null })
const derived = new WeakMap<KeyWithOwner, KeyRules>()

export function keyRulesOf(key: KeyWithOwner): KeyRules {
  if (key.allowed_ips == null && key.credits_version == null) return NONE
  let rules = derived.get(key)
  if (!rules) {
    rules = {
      allowList: allowListOf(key.allowed_ips ?? null),
      credited: key.credits_version == null ? null : { id: key.id, version: key.credits_version, interval: key.credits_interval },
    }
    derived.set(key, rules)
  }
  return rules
}

/** 403 `ip_not_allowed` unless the client address is on the key's list (a key without one: anywhere). */
export function checkClientAddress(rules: KeyRules, clientIp: string): void {
  if (!rules.allowList) return
  const checked = (rules.checked ??= new Map())
  let allowed = checked.get(clientIp)
  if (allowed === undefined) {
    allowed = ipAllowed(rules.allowList, clientIp)
    if (checked.size >= CHECKED_MAX) checked.clear()
    checked.set(clientIp, allowed)
  }
  if (!allowed) throw new ApiError('ip_not_allowed', `This key may not be used from ${clientIp}`)
}
