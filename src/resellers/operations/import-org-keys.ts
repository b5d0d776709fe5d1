import { defineOperation } from '../../core/operation.js'
import { importEntries, ImportKeysBody, ImportKeysOutput } from '../../keys/key-import.js'
import { toKeyView } from '../../keys/key-schema.js'
import { IMPORT_DESCRIPTION } from '../../keys/operations/import-keys.js'
import { OrgIdParams, RESELLER_TAG } from '../schemas.js'
import '../services.js'

export const importOrgKeys = defineOperation({
  id: 'reseller.org_keys.import',
  method: 'post',
  path: '/reseller/organizations/{id}/keys/import',
  tags: [RESELLER_TAG],
  audience: 'reseller',
  summary: "Import an organisation's keys from another system",
  description: `As \`POST /keys/import\`, on the organisation's behalf; the keys list your reseller key as their creator. ${IMPORT_DESCRIPTION}`,
  scope: 'admin',
  params: OrgIdParams,
  body: ImportKeysBody,
  output: ImportKeysOutput,
  errors: ['not_found', 'conflict', 'insufficient_scope'],
  handler: async (input, ctx) => {
    const { entries, batch } = importEntries(input)
    const rows = await ctx.services.resellers.importOrgKeys(ctx, input.id, entries)
    return batch ? { data: rows.map((row) => toKeyView(row)) } : toKeyView(rows[0]!)
  },
})
