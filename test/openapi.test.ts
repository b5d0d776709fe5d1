import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { errorCodes } from '../src/core/errors.js'
import { shippedModules } from '../examples/main.js'
import { startServer, type TestServer } from './harness.js'

describe('OpenAPI document', () => {
  let server: TestServer
  let doc: any
  beforeAll(async () => {
    server = await startServer({ modules: await shippedModules() })
    const res = await fetch(`${server.url}/api/v1/openapi.json`)
    expect(res.status).toBe(200)
    doc = await res.json()
  })
  afterAll(() => server.close())

  it('is valid OpenAPI 3.1 according to the specification schema', async () => {
    const validator = new Validator()
    const result = await validator.validate(doc)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it('has an entry for every registered operation, with its scope, security and error responses', () => {
    for (const op of server.portico.registry.all()) {
      const entry = doc.paths[op.path]?.[op.method]
      expect(entry, op.id).toBeDefined()
      expect(entry.operationId).toBe(op.id)
      expect(entry['x-scope']).toBe(op.scope)
      expect(entry.security.length).toBeGreaterThan(0)
      expect(entry.responses['401']).toBeDefined()
      expect(entry.responses['429']).toBeDefined()
      if (op.scope) expect(entry.responses['403'].description).toContain('insufficient_scope')
    }
  })

  it('documents every error code and the security schemes', () => {
    const codes = doc.components.schemas.Error.properties.error.properties.code.enum
    expect([...codes].sort()).toEqual([...errorCodes].sort())
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['bearerAuth', 'apiKeyHeader', 'resellerAuth']))
  })

  it('publishes every declared event in the webhooks section', () => {
    expect(Object.keys(doc.webhooks)).toEqual(expect.arrayContaining(['api_key.created', 'api_key.revoked', 'api_key.rolled']))
  })

  it('serves the interactive reference with its assets from the package', async () => {
    for (const path of ['/reference', '/api/v1/reference']) {
      const page = await fetch(`${server.url}${path}`)
      expect(page.status).toBe(200)
      const html = await page.text()
      expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/)
      for (const asset of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
        const res = await fetch(`${server.url}${asset[1]}`)
        expect(res.status, asset[1]).toBe(200)
      }
    }
  })
})
