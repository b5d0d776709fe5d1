import type { OrgStore } from './org-store.js'

declare module '../core/context.js' {
  interface Services {
    orgs: OrgStore
  }
}
