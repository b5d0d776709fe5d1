/**
 * The doorways an operation is reached through, each turned into one answer shape so the matrices
 * ask the same question of every doorway. A gateway operation is an operation of the registry
 * (its handler forwards), so it is reached through `rest` and `mcp` like any other: world.ts
 * starts the example knowledge base (examples/kb) as the gateway's upstream and gives its family
 * a fixture, so the matrices cover the gateway's operations without a change here. A doorway of
 * another shape (the verify API) joins by implementing `Doorway`.
 */
import type { Operation } from '../../src/core/operation.js'
import { toolNameOf } from '../../src/mcp/tool-names.js'
import { fillPath, type Call } from './world.js'

export interface Answer {
  /** HTTP status for REST; for MCP the status the envelope's code stands for, or 200 for a result. */
  status: number
  ok: boolean
  code: string | undefined
  /** Everything the caller received, for leak checks. */
  text: string
  /** The answer's JSON (REST body, MCP structured result or envelope). */
  body: any
  requestIdHeader: string | null
  requestIdInBody: string | undefined
}

export interface Doorway {
  name: string
  call(op: Operation, key: string, call: Call): Promise<Answer>
}

/** An answer's text, and its JSON when it is JSON. */
export async function readAnswer(res: Response): Promise<{ text: string; json: any }> {
  const text = await res.text()
  try {
    return { text, json: JSON.parse(text) }
  } catch {
    return { text, json: undefined }
  }
}

function query(values: Record<string, string>): string {
  const q = new URLSearchParams(values).toString()
  return q ? `?${q}` : ''
}

export function restDoorway(baseUrl: string): Doorway {
  return {
    name: 'rest',
    async call(op, key, call) {
      const headers: Record<string, string> = { authorization: `Bearer ${key}` }
      let body: string | undefined
      if (call.body !== undefined) {
        body = JSON.stringify(call.body)
        headers['content-type'] = 'application/json'
      }
      const res = await fetch(`${baseUrl}/api/v1${fillPath(op.path, call.params)}${query(call.query)}`, { method: op.method.toUpperCase(), headers, body })
      const { text, json } = await readAnswer(res)
      return {
        status: res.status,
        ok: res.status < 300,
        code: json?.error?.code,
        text,
        body: json,
        requestIdHeader: res.headers.get('x-request-id'),
        requestIdInBody: json?.error?.request_id,
      }
    },
  }
}

let rpcId = 0

/** A raw JSON-RPC `tools/call`: MCP here is stateless, so no session is opened first. */
export async function callTool(baseUrl: string, key: string, name: string, args: unknown, rawBody?: string) {
  const res = await fetch(`${baseUrl}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: rawBody ?? JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method: 'tools/call', params: { name, arguments: args } }),
  })
  return { res, ...(await readAnswer(res)) }
}

export function mcpDoorway(baseUrl: string, errorStatus: Map<string, number>): Doorway {
  return {
    name: 'mcp',
    async call(op, key, call) {
      const args = { ...call.params, ...call.query, ...(call.body && typeof call.body === 'object' ? call.body : {}) }
      const { res, text, json } = await callTool(baseUrl, key, toolNameOf(op), args)
      const result = json?.result
      const requestIdHeader = res.headers.get('x-request-id')
      if (!res.ok || !result) {
        // Refused before the tool ran (a bad key is HTTP 401 with the envelope) or a JSON-RPC error.
        return { status: res.status, ok: false, code: json?.error?.code, text, body: json, requestIdHeader, requestIdInBody: json?.error?.request_id }
      }
      if (result.isError) {
        let envelope: any
        try {
          envelope = JSON.parse(result.content?.[0]?.text ?? '')
        } catch {
          envelope = undefined
        }
        const code = envelope?.error?.code
        return { status: errorStatus.get(code) ?? 500, ok: false, code, text, body: envelope, requestIdHeader, requestIdInBody: envelope?.error?.request_id }
      }
      return { status: 200, ok: true, code: undefined, text, body: result.structuredContent ?? result, requestIdHeader, requestIdInBody: undefined }
    },
  }
}

/** tools/list for a key: the names of the tools it is offered. */
export async function listTools(baseUrl: string, key: string): Promise<string[]> {
  const { json } = await callTool(baseUrl, key, '', undefined, JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method: 'tools/list' }))
  return (json?.result?.tools ?? []).map((t: { name: string }) => t.name)
}
