import fs from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { ConfigError } from '../core/config.js'
import { scopes, type Scope } from '../core/scopes.js'
import { importOpenApi, snakeCase, type JsonSchema } from './openapi-import.js'

/** A bad upstreams file: its message is the one line that stops the start, naming the file, the upstream and the problem. */
export class UpstreamsFileError extends ConfigError {
  constructor(
    readonly file: string,
    readonly upstream: string | undefined,
    readonly problem: string,
  ) {
    super('PORTICO_UPSTREAMS', `${file}: ${upstream ? `upstream "${upstream}": ` : ''}${problem}`)
    this.name = 'UpstreamsFileError'
  }
}

export type GatewayMethod = 'get' | 'post' | 'put' | 'patch' | 'delete'

/** One operation of an upstream, after the import and the file's overrides. */
export interface GatewayOperationSpec {
  id: string
  method: GatewayMethod
  /** Path under `/api/v1`, OpenAPI style (`/documents/{id}`). */
  path: string
  /** Path on the upstream, with the same `{param}` names. */
  upstreamPath: string
  scope: Scope | null
  limit: string
  summary: string
  description?: string
  /** Path parameters by name, each a JSON Schema (strings unless the upstream's document says otherwise). */
  params: Record<string, JsonSchema>
  /** An object schema of the query parameters. */
  query?: JsonSchema
  /** The JSON body's schema; validated before forwarding. */
  body?: JsonSchema
  /** Documented answers, by status, for the OpenAPI document. */
  responses?: Record<string, { description: string; content?: Record<string, { schema?: JsonSchema }> }>
}

export interface UpstreamSpec {
  name: string
  /** Origin (and optional base path) of the upstream: `http://127.0.0.1:8000`. */
  url: string
  secretEnv: string
  /** The identity JWT's HS256 key: the UTF-8 bytes of the secret variable's value. */
  secret: Uint8Array
  timeoutMs: number
  operations: GatewayOperationSpec[]
  events: { type: string; summary: string }[]
}

const NAME = /^[a-z][a-z0-9_]{0,39}$/
const SEGMENT = /^[a-z][a-z0-9_]*$/
const jsonSchema = z.record(z.string(), z.unknown())
const method = z.enum(['get', 'post', 'put', 'patch', 'delete'])
const apiPath = z
  .string()
  .regex(/^\/[A-Za-z0-9._~\-/{}]*$/, 'must start with / and hold only path characters and {param} placeholders')
  .refine((p) => !/\{(?!\w+\})/.test(p), 'has a malformed {param} placeholder')

const operationEntry = z
  .object({
    id: z.string(),
    method: method.optional(),
    path: apiPath.optional(),
    upstream_path: apiPath.optional(),
    scope: z.enum(scopes).nullable().optional(),
    limit: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'must be a rate-limit class name').optional(),
    summary: z.string().min(1).max(200).optional(),
    description: z.string().max(10_000).optional(),
    body: jsonSchema.optional(),
    query: jsonSchema.optional(),
  })
  .strict()

const eventEntry = z
  .object({
    type: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'must look like noun.verb (kb.document_indexed)'),
    summary: z.string().min(1).max(200),
  })
  .strict()

const upstreamEntry = z
  .object({
    name: z.string().regex(NAME, 'must be 1-40 lowercase letters, digits or _ starting with a letter'),
    url: z.string().refine((u) => {
      try {
        const parsed = new URL(u)
        return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && !parsed.search && !parsed.hash && !parsed.username
      } catch {
        return false
      }
    }, 'must be an http:// or https:// URL without query, fragment or credentials'),
    secret_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
    timeout_ms: z.number().int().min(1).max(600_000).optional(),
    openapi: z.string().min(1).optional(),
    operations: z.array(operationEntry).optional(),
    events: z.array(eventEntry).optional(),
  })
  .strict()

const fileSchema = z.object({ upstreams: z.array(z.unknown()).min(1, 'must list at least one upstream') }).strict()

const DEFAULT_TIMEOUT_MS = 15_000

function issueText(error: z.ZodError): string {
  const issue = error.issues[0]!
  const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '')
  return `${where ? `${where} ` : ''}${issue.message.replace(/^Invalid input: /, '')}`.replace(/\s+/g, ' ')
}

function readJson(file: string, what: string, fail: (problem: string) => never): unknown {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    fail(`cannot read ${what} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    fail(`${what} is not valid JSON (${(error as Error).message.split('\n')[0]})`)
  }
}

/**
 * Reads and checks `PORTICO_UPSTREAMS`: every upstream, its operations (the file's and those
 * imported from its OpenAPI document, the file's entries overriding the imported ones field by
 * field) and its events. The first problem found is thrown as one line naming the file, the
 * upstream and the problem.
 */
export function loadUpstreamsFile(file: string, secretOf: (name: string) => string | undefined): UpstreamSpec[] {
  const shown = file
  const top = readJson(file, 'the file', (problem) => {
    throw new UpstreamsFileError(shown, undefined, problem)
  })
  const parsedTop = fileSchema.safeParse(top)
  if (!parsedTop.success) throw new UpstreamsFileError(shown, undefined, issueText(parsedTop.error))

  const names = new Set<string>()
  const ids = new Set<string>()
  const routes = new Map<string, string>()
  const eventTypes = new Set<string>()
  return parsedTop.data.upstreams.map((raw, index) => {
    const label = typeof (raw as { name?: unknown })?.name === 'string' ? (raw as { name: string }).name : `#${index + 1}`
    const fail = (problem: string): never => {
      throw new UpstreamsFileError(shown, label, problem)
    }
    const parsed = upstreamEntry.safeParse(raw)
    if (!parsed.success) fail(issueText(parsed.error))
    const entry = parsed.data!
    if (names.has(entry.name)) fail('is declared twice')
    names.add(entry.name)
    const secret = secretOf(entry.secret_env)
    if (secret === undefined || secret === '') fail(`the secret variable ${entry.secret_env} is not set`)
    if (Buffer.byteLength(secret!) < 32) fail(`the secret in ${entry.secret_env} is shorter than 32 bytes (for example: openssl rand -hex 32)`)

    const byId = new Map<string, Partial<GatewayOperationSpec>>()
    if (entry.openapi) {
      const docFile = path.resolve(path.dirname(path.resolve(file)), entry.openapi)
      const doc = readJson(docFile, `its OpenAPI document ${entry.openapi}`, fail)
      for (const imported of importOpenApi(doc, entry.name, fail)) byId.set(imported.id!, imported)
    }
    for (const op of entry.operations ?? []) {
      const [head, ...rest] = op.id.split('.')
      if (head !== entry.name || rest.length !== 1 || !SEGMENT.test(rest[0]!)) {
        fail(`operation id "${op.id}" must be ${entry.name}.<name> (lowercase letters, digits and _)`)
      }
      const base = byId.get(op.id) ?? { id: op.id }
      const merged: Partial<GatewayOperationSpec> = { ...base }
      if (op.method) merged.method = op.method
      if (op.path) merged.path = op.path
      if (op.upstream_path) merged.upstreamPath = op.upstream_path
      if (op.scope !== undefined) merged.scope = op.scope
      if (op.limit) merged.limit = op.limit
      if (op.summary) merged.summary = op.summary
      if (op.description) merged.description = op.description
      if (op.body) merged.body = op.body
      if (op.query) merged.query = op.query
      byId.set(op.id, merged)
    }
    if (byId.size === 0) fail('declares no operations (give "operations" or an "openapi" document)')

    const operations = [...byId.values()].map((op): GatewayOperationSpec => {
      const what = `operation ${op.id}`
      if (!op.method) fail(`${what} needs a method`)
      if (!op.path) fail(`${what} needs a path`)
      if (!op.summary) op.summary = `${op.method!.toUpperCase()} ${op.path}`
      const upstreamPath = op.upstreamPath ?? op.path!
      const names = [...op.path!.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)
      const upstreamNames = [...upstreamPath.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)
      const missing = upstreamNames.find((n) => !names.includes(n))
      if (missing) fail(`${what}: upstream_path parameter {${missing}} is not in its path`)
      if (op.body && op.method === 'get') fail(`${what}: a GET operation cannot declare a body`)
      for (const [part, schema] of [['body', op.body], ['query', op.query]] as const) {
        if (schema && schema.type !== undefined && schema.type !== 'object') fail(`${what}: its ${part} schema must be of type object`)
      }
      if (ids.has(op.id!)) fail(`${what} is declared twice`)
      ids.add(op.id!)
      const route = `${op.method} ${op.path!.replace(/\{\w+\}/g, '{}')}`
      const clash = routes.get(route)
      if (clash) fail(`${what} and ${clash} share ${op.method!.toUpperCase()} ${op.path}`)
      routes.set(route, op.id!)
      const params: Record<string, JsonSchema> = {}
      for (const n of names) params[n] = op.params?.[n] ?? { type: 'string' }
      return {
        id: op.id!,
        method: op.method!,
        path: op.path!,
        upstreamPath,
        scope: op.scope === undefined ? (op.method === 'get' ? 'read' : 'actions') : op.scope,
        limit: op.limit ?? 'general',
        summary: op.summary!,
        ...(op.description ? { description: op.description } : {}),
        params,
        ...(op.query ? { query: op.query } : {}),
        ...(op.body ? { body: op.body } : {}),
        ...(op.responses ? { responses: op.responses } : {}),
      }
    })

    const events = (entry.events ?? []).map((e) => {
      if (eventTypes.has(e.type)) fail(`event ${e.type} is declared twice`)
      eventTypes.add(e.type)
      return { type: e.type, summary: e.summary }
    })
    return {
      name: entry.name,
      url: entry.url.replace(/\/+$/, ''),
      secretEnv: entry.secret_env,
      secret: new TextEncoder().encode(secret!),
      timeoutMs: entry.timeout_ms ?? DEFAULT_TIMEOUT_MS,
      operations,
      events,
    }
  })
}

export { snakeCase }
