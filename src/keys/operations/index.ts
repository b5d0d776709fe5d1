import { createKey } from './create-key.js'
import { getKey } from './get-key.js'
import { importKeys } from './import-keys.js'
import { listKeys } from './list-keys.js'
import { revokeKey } from './revoke-key.js'
import { rollKey } from './roll-key.js'
import { updateKey } from './update-key.js'

export const keyOperations = [createKey, importKeys, listKeys, getKey, updateKey, revokeKey, rollKey]
