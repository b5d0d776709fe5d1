import type { Logger } from 'pino'
import type { OrgKeyPrincipal, Principal, UserPrincipal } from '../core/principal.js'
import { ApiError } from '../core/errors.js'
import type { StreamResult } from '../core/operation.js'
import { readStreamCapped, tooLarge } from '../runtime/read-stream.js'
import { IdentityCaller } from './identity.js'
import { JsonSchemaValidator, validationError } from './json-schema-validator.js'
import { firstValue, UpstreamClient, type ForwardHeaders, type UpstreamHealth } from './upstream-client.js'
import type { GatewayOperationSpec, UpstreamSpec } from './upstreams-file.js'

/** Caps on a forwarded request body: a JSON one as Portico's own (1 MB), anything else as its uploads (10 MB). */
export const GATEWAY_JSON_LIMIT = 1024 * 1024
export const GATEWAY_BODY_LIMIT = 10 * 1024 * 1024

/** The request as a doorway hands it over: REST with the client's body, MCP with the tool's arguments as JSON. */
export interface GatewayCall {
  principal: Principal
  requestId: string
  /** Path parameters, decoded. */
  params: Record<string, string>
  /** The query string as the client sent it (without `?`), forwarded byte for byte. */
  rawQuery: string
  /** The client's request headers, lower-case names (as Node parses them). */
  headers: ForwardHeaders
  body: { stream: ReadableStream<Uint8Array> | null; contentType: string | undefined } | undefined
  signal?: AbortSignal
}

type Check = (value: unknown) => Record<string, string> | null

interface Route {
  spec: GatewayOperationSpec
  client: UpstreamClient
  params?: Check
  query?: Check
  body?: Check
}

const NO_META: Readonly<Record<string, unknown>> = Object.freeze({})

const isJsonType = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json')

/** Query values as a JSON Schema sees them: one value a string, a repeated name an array. */
function queryObject(raw: string): Record<string, string | string[]> {
  const out = Object.create(null) as Record<string, string | string[]>
  for (const [name, value] of new URLSearchParams(raw)) {
    const seen = out[name]
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]
  }
  return out
}

/** A tool call's query arguments as a query string. */
export function encodeQuery(values: Record<string, unknown>): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null) continue
    for (const v of Array.isArray(value) ? value : [value]) search.append(name, typeof v === 'object' ? JSON.stringify(v) : String(v))
  }
  return search.toString()
}

/**
 * The deployment's upstreams: one pooled client each, and per operation its compiled checks.
 * `call` is what every doorway's handler runs: validate the declared schemas, read the body
 * (capped) and forward it with the caller's identity. Nothing reaches the upstream before the
 * checks pass.
 */
export class Gateway {
  readonly #routes = new Map<string, Route>()
  readonly #clients: UpstreamClient[] = []
  readonly #callers = new WeakMap<Principal, IdentityCaller>()

  constructor(
    readonly upstreams: UpstreamSpec[],
    log: Logger,
    fail: (upstream: string, problem: string) => never,
  ) {
    const validator = new JsonSchemaValidator()
    for (const upstream of upstreams) {
      const client = new UpstreamClient(upstream, log)
      this.#clients.push(client)
      for (const spec of upstream.operations) {
        const compile = (part: string, schema: Record<string, unknown> | undefined, coerce: boolean): Check | undefined => {
          if (!schema) return undefined
          try {
            return validator.compile(schema, coerce)
          } catch (error) {
            return fail(upstream.name, `operation ${spec.id}: its ${part} schema is not valid JSON Schema (${(error as Error).message.split('\n')[0]})`)
          }
        }
        const hasTypedParams = Object.values(spec.params).some((s) => Object.keys(s).some((k) => k !== 'type' && k !== 'description') || s.type !== 'string')
        this.#routes.set(spec.id, {
          spec,
          client,
          ...(hasTypedParams ? { params: compile('path parameter', { type: 'object', properties: spec.params, required: Object.keys(spec.params) }, true) } : {}),
          ...(spec.query ? { query: compile('query', spec.query, true) } : {}),
          ...(spec.body ? { body: compile('body', spec.body, false) } : {}),
        })
      }
    }
  }

  health(): UpstreamHealth[] {
    return this.#clients.map((c) => c.health())
  }

  /**
   * Checks and forwards one call. A call without a body to read (a GET, say) is checked and sent
   * in one go; one with a body reads it first (capped), then checks it.
   */
  call(operationId: string, call: GatewayCall): Promise<StreamResult> {
    const route = this.#routes.get(operationId)
    if (!route) throw new ApiError('internal_error', 'Internal server error')
    const fields = Object.create(null) as Record<string, string>
    if (route.params) Object.assign(fields, route.params({ ...call.params }))
    if (route.query) Object.assign(fields, route.query(queryObject(call.rawQuery)))
    const { method } = route.spec
    if (call.body?.stream && method !== 'get' && method !== 'delete') return this.#callWithBody(route, call, call.body.stream, call.body.contentType, fields)
    if (route.body) Object.assign(fields, route.body({}))
    if (Object.keys(fields).length > 0) throw validationError(fields, '(body)')
    return this.#forward(route, call, undefined, undefined)
  }

  async #callWithBody(route: Route, call: GatewayCall, stream: ReadableStream<Uint8Array>, contentType: string | undefined, fields: Record<string, string>): Promise<StreamResult> {
    const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
    const limit = route.body || isJsonType(mediaType) ? GATEWAY_JSON_LIMIT : GATEWAY_BODY_LIMIT
    const declared = Number(firstValue(call.headers['content-length']) ?? NaN)
    if (declared > limit) throw tooLarge(limit)
    if (route.body && mediaType !== '' && !isJsonType(mediaType)) {
      throw new ApiError('unsupported_media_type', `Content-Type ${mediaType} is not accepted here; send application/json`)
    }
    const bytes = await readStreamCapped(stream, limit)
    if (route.body) {
      let value: unknown = {}
      if (bytes.byteLength > 0) {
        try {
          value = JSON.parse(Buffer.from(bytes).toString('utf8'))
        } catch {
          throw new ApiError('invalid_json', 'The request body is not valid JSON')
        }
      }
      Object.assign(fields, route.body(value))
    }
    if (Object.keys(fields).length > 0) throw validationError(fields, '(body)')
    return this.#forward(route, call, bytes, contentType)
  }

  /** A principal's identity claims, made once for as long as the principal (a cached key's) lives. */
  #callerOf(principal: OrgKeyPrincipal | UserPrincipal): IdentityCaller {
    let caller = this.#callers.get(principal)
    if (!caller) {
      // Organisation keys, and the dashboard's own sessions (whose calls carry no key: key_id null).
      const key = principal.kind === 'org_key' ? principal : undefined
      caller = new IdentityCaller(principal.orgId, key?.orgExternalId ?? null, key?.keyId ?? null, principal.scopes, key?.keyMeta ?? NO_META)
      this.#callers.set(principal, caller)
    }
    return caller
  }

  /** Sends a checked call upstream with the caller's identity. */
  #forward(route: Route, call: GatewayCall, bytes: Uint8Array | undefined, contentType: string | undefined): Promise<StreamResult> {
    const template = route.spec.upstreamPath
    const path = template.includes('{') ? template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(call.params[name] ?? '')) : template
    const principal = call.principal
    // Organisation keys, and the dashboard's own sessions (whose calls carry no key: key_id null).
    if (principal.kind !== 'org_key' && principal.kind !== 'user') throw new ApiError('wrong_key_type', 'Only organisation keys can call this operation')
    const { rawQuery } = call
    return route.client.forward({
      method: route.spec.method,
      target: rawQuery ? `${path}?${rawQuery}` : path,
      headers: call.headers,
      contentType,
      body: bytes,
      caller: this.#callerOf(principal),
      requestId: call.requestId,
      signal: call.signal,
    })
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.close()))
  }
}
