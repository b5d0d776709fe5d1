import type { OperationContext } from '../core/context.js'
import type { z } from '../core/schema.js'
import { expiryFrom, type MintedKeySchema, type MintKeyBody } from './key-schema.js'
import type { KeyOwner } from './key-store.js'
import './services.js'

type Minted = z.infer<typeof MintedKeySchema>

/** A mint request from the API's body: scopes default to `["read"]`, expiry from a preset or a date. */
export function mintRequest(input: z.infer<typeof MintKeyBody>) {
  return {
    name: input.name,
    scopes: input.scopes ?? ['read'],
    expiresAt: expiryFrom(input),
    meta: input.meta,
    credits: input.credits,
    allowedIps: input.allowed_ips,
  }
}

/** Mints a key for `owner` as the caller, shown once: `POST /keys` and `POST /reseller/keys`. */
export async function mintAs(ctx: OperationContext, owner: KeyOwner, input: z.infer<typeof MintKeyBody>): Promise<Minted> {
  const { row, key } = await ctx.transaction((tx) => ctx.services.keys.mint(tx, ctx.principal, owner, mintRequest(input)))
  return { ...(await ctx.services.keys.view(row)), key }
}

/** Rolls one of `owner`'s keys as the caller: `POST /keys/{id}/roll` and `POST /reseller/keys/{id}/roll`. */
export async function rollAs(ctx: OperationContext, owner: KeyOwner, id: string, graceSeconds: number): Promise<Minted> {
  const { row, key } = await ctx.transaction((tx) => ctx.services.keys.roll(tx, ctx.principal, owner, id, graceSeconds))
  return { ...(await ctx.services.keys.view(row)), key }
}
