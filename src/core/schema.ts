// Kept in the emitted .d.ts, so a product's compiler also sees the `.openapi()` that zod gains here.
/// <reference types="@asteasolutions/zod-to-openapi" preserve="true" />
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi'
import { z } from 'zod'

// One place extends zod with `.openapi()` so every schema can name its OpenAPI component.
extendZodWithOpenApi(z)

export { z }
export type { ZodType, ZodObject } from 'zod'

export const Timestamp = z.string().openapi({ format: 'date-time', example: '2026-06-12T14:24:37Z' })
export const Uuid = z.uuid()

/** ISO 8601 UTC without milliseconds, as the wire contract shows. */
export function isoTimestamp(value: Date | string | number | null | undefined): string | null {
  if (value === null || value === undefined) return null
  const date = value instanceof Date ? value : new Date(value)
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
