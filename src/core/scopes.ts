/** Scopes are independent labels: `admin` does not imply `read`. */
export const scopes = ['read', 'draft', 'actions', 'admin'] as const
export type Scope = (typeof scopes)[number]

export const scopeDescriptions: Record<Scope, string> = {
  read: 'Read data: every GET endpoint of the product.',
  draft: 'Low-risk writes: create and edit drafts.',
  actions: 'Writes with side effects: send, delete, sign links.',
  admin: 'Manage API keys, webhooks, usage and the audit log.',
}

export function isScope(value: string): value is Scope {
  return (scopes as readonly string[]).includes(value)
}

/** Keeps the canonical order so stored and displayed scope lists are stable. */
export function normalizeScopes(list: readonly Scope[]): Scope[] {
  return scopes.filter((s) => list.includes(s))
}

export const allScopes: readonly Scope[] = scopes
