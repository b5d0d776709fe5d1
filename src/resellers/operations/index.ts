import { createOrgKey } from './create-org-key.js'
import { createOrganization } from './create-organization.js'
import { createResellerKey } from './create-reseller-key.js'
import { createUser } from './create-user.js'
import { getOrganization } from './get-organization.js'
import { importOrgKeys } from './import-org-keys.js'
import { getResellerKey } from './get-reseller-key.js'
import { listOrganizations } from './list-organizations.js'
import { listOrgKeys } from './list-org-keys.js'
import { listResellerKeys } from './list-reseller-keys.js'
import { listUsers } from './list-users.js'
import { resumeOrganization } from './resume-organization.js'
import { revokeOrgKey } from './revoke-org-key.js'
import { revokeResellerKey } from './revoke-reseller-key.js'
import { rollResellerKey } from './roll-reseller-key.js'
import { suspendOrganization } from './suspend-organization.js'

export const resellerOperations = [
  createOrganization,
  listOrganizations,
  getOrganization,
  suspendOrganization,
  resumeOrganization,
  createUser,
  listUsers,
  createOrgKey,
  importOrgKeys,
  listOrgKeys,
  revokeOrgKey,
  createResellerKey,
  listResellerKeys,
  getResellerKey,
  revokeResellerKey,
  rollResellerKey,
]
