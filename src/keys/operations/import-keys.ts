import { defineOperation } from '../../core/operation.js'
import { importEntries, ImportKeysBody, ImportKeysOutput } from '../key-import.js'
import { toKeyView } from '../key-schema.js'
import { ownerOf } from './owner.js'
import '../services.js'

export const IMPORT_DESCRIPTION =
  'Keys from another system, given by the SHA-256 of their plaintext (never the plaintext): each keeps working with its original ' +
  "plaintext, although it lacks Portico's format and checksum. Such tokens are looked up by hash when they start with an imported " +
  '`prefix`; every other token that fails the format check is still refused without a database look-up. One key answers the key; ' +
  '`{"keys": [...]}` (up to 1,000) answers `{"data": [...]}` in the order given, and fails whole on any invalid or duplicate entry ' +
  '(a hash already known, or given twice: 409 `conflict`). Imported keys are cached, revoked and rolled like any other; rolling one mints a ' +
  'Portico-format replacement.'

export const importKeys = defineOperation({
  id: 'keys.import',
  method: 'post',
  path: '/keys/import',
  tags: ['API keys'],
  summary: 'Import API keys from another system',
  description: IMPORT_DESCRIPTION,
  scope: 'admin',
  body: ImportKeysBody,
  output: ImportKeysOutput,
  errors: ['conflict', 'insufficient_scope'],
  handler: async (input, ctx) => {
    const { entries, batch } = importEntries(input)
    const rows = await ctx.transaction((tx) => ctx.services.keyImport.import(tx, ctx.principal, ownerOf(ctx.principal), entries))
    return batch ? { data: rows.map((row) => toKeyView(row)) } : toKeyView(rows[0]!)
  },
})
