import type { Operation } from '../core/operation.js'

/** What every MCP client accepts as a tool name (some refuse dots, spaces or longer names). */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/

/** `documents.list` → `documents_list`. */
export const toolNameOf = (op: Pick<Operation, 'id'>): string => op.id.replaceAll('.', '_')

/**
 * Tool names of a set of operations, and the way back to each operation, checked once: a name
 * that two operations would share, or that a client would refuse, stops the server at start.
 */
export class ToolNames {
  readonly #byName = new Map<string, Operation>()

  constructor(operations: Operation[]) {
    for (const op of operations) {
      const name = toolNameOf(op)
      if (!TOOL_NAME.test(name)) throw new Error(`operation ${op.id}: its tool name "${name}" is not ${TOOL_NAME}`)
      const other = this.#byName.get(name)
      if (other) throw new Error(`operations "${other.id}" and "${op.id}" would both be the MCP tool "${name}"`)
      this.#byName.set(name, op)
    }
  }

  operation(name: string): Operation | undefined {
    return this.#byName.get(name)
  }
}
