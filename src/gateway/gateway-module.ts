import type { Logger } from 'pino'
import { z } from 'zod'
import type { ErrorCode } from '../core/errors.js'
import { defineModule, type PorticoModule } from '../core/module.js'
import { defineOperation, type Operation, type RawRequestBody } from '../core/operation.js'
import { headerRecord, type ForwardHeaders } from './upstream-client.js'
import { Gateway, GATEWAY_BODY_LIMIT } from './gateway.js'
import { UpstreamsFileError, type GatewayOperationSpec, type UpstreamSpec } from './upstreams-file.js'

function errorsOf(spec: GatewayOperationSpec): ErrorCode[] {
  const codes: ErrorCode[] = ['upstream_unavailable', 'upstream_timeout']
  if (spec.query || spec.body || Object.keys(spec.params).length > 0) codes.push('validation_error')
  if (spec.method !== 'get' && spec.method !== 'delete') codes.push('payload_too_large')
  if (spec.body) codes.push('invalid_json', 'unsupported_media_type')
  return codes
}

/** The client's headers: Node's own record over REST, the web Headers otherwise, or only the user agent (MCP, dashboard). */
function requestHeadersOf(raw: RawRequestBody | undefined, userAgent: string | undefined): ForwardHeaders {
  if (raw?.nodeHeaders) return raw.nodeHeaders
  if (raw?.headers) return headerRecord(raw.headers)
  return userAgent ? { 'user-agent': userAgent } : {}
}

function operationOf(spec: GatewayOperationSpec, upstream: UpstreamSpec, gateway: Gateway): Operation {
  const names = Object.keys(spec.params)
  return defineOperation({
    id: spec.id,
    method: spec.method,
    path: spec.path,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [upstream.name],
    scope: spec.scope,
    limit: spec.limit,
    ...(names.length > 0 ? { params: z.object(Object.fromEntries(names.map((n) => [n, z.string().min(1)]))) } : {}),
    rawBody: true,
    maxBodyBytes: GATEWAY_BODY_LIMIT,
    output: z.unknown(),
    status: 200,
    errors: errorsOf(spec),
    jsonSchema: {
      params: spec.params,
      ...(spec.query ? { query: spec.query } : {}),
      ...(spec.body ? { body: spec.body } : {}),
      ...(spec.responses ? { responses: spec.responses } : {}),
    },
    handler: (input, ctx) =>
      gateway.call(spec.id, {
        principal: ctx.principal,
        requestId: ctx.requestId,
        params: (input ?? {}) as Record<string, string>,
        rawQuery: ctx.rawBody?.query ?? '',
        headers: requestHeadersOf(ctx.rawBody, ctx.userAgent),
        body: ctx.rawBody ? { stream: ctx.rawBody.stream, contentType: ctx.rawBody.contentType } : undefined,
      }),
  })
}

export interface GatewayModule {
  module: PorticoModule
  gateway: Gateway
}

/**
 * The deployment's upstreams as one module: each upstream operation a Portico operation (route,
 * catalog row, OpenAPI entry, MCP tool, scope, rate-limit class) and each declared event an event
 * type, exactly as a product's module declares its own.
 */
export function gatewayModule(file: string, upstreams: UpstreamSpec[], log: Logger): GatewayModule {
  const gateway = new Gateway(upstreams, log, (upstream, problem) => {
    throw new UpstreamsFileError(file, upstream, problem)
  })
  const module = defineModule({
    name: 'gateway',
    operations: upstreams.flatMap((u) => u.operations.map((spec) => operationOf(spec, u, gateway))),
    events: upstreams.flatMap((u) => u.events.map((e) => ({ type: e.type, summary: e.summary, schema: z.record(z.string(), z.unknown()) }))),
    tags: upstreams.map((u) => ({ name: u.name, description: `Operations of the ${u.name} service, forwarded by Portico with the caller's signed identity.` })),
    stop: () => gateway.close(),
  })
  return { module, gateway }
}
