import { createKey } from './create-key.js'
import { getKey } from './get-key.js'
import { listKeys } from './list-keys.js'
import { revokeKey } from './revoke-key.js'
import { rollKey } from './roll-key.js'
import { updateKey } from './update-key.js'

export const keyOperations = [createKey, listKeys, getKey, updateKey, revokeKey, rollKey]
