// What remembering imported key prefixes costs the offline refusal of tokens that are not keys:
// a random token refused by the authenticator (format check failed, no imported prefix matched,
// no database look-up) with 0, 10, 1,000 and 100,000 imported prefixes of mixed lengths.
// Usage: node --import tsx bench/imported-prefixes.ts [iterations=200000]
import { randomBytes } from 'node:crypto'
import { Authenticator } from '../src/auth/authenticate.js'
import { ImportedPrefixes } from '../src/auth/imported-prefixes.js'
import { KeyCache } from '../src/auth/key-cache.js'
import type { KeyStore } from '../src/keys/key-store.js'

const iterations = Number(process.argv[2] ?? 200_000)
// Refusals never reach the store: one that did would throw here.
const store = {
  findByHash: () => {
    throw new Error('looked up')
  },
} as unknown as KeyStore
const tokens = Array.from({ length: 1000 }, () => `tok_${randomBytes(24).toString('base64url')}`)
// The worst case: junk that starts like the imported keys (`imp0_…`), past the first-characters check.
const alike = Array.from({ length: 1000 }, (_, i) => `imp${i % 5}_${randomBytes(24).toString('base64url')}`)

for (const n of [0, 10, 1000, 100_000]) {
  const imported = new ImportedPrefixes()
  for (let i = 0; i < n; i++) imported.add(`imp${i % 5}_${randomBytes(2 + (i % 13)).toString('hex')}`)
  const auth = new Authenticator(store, new KeyCache(30_000), { org: 'ptk', reseller: 'rsk', service: 'psk' }, imported)
  const run = (count: number) => {
    let refused = 0
    for (let i = 0; i < count; i++) {
      try {
        auth.authenticate(tokens[i % tokens.length]!)
      } catch {
        refused++
      }
    }
    return refused
  }
  run(20_000) // warm-up
  const started = process.hrtime.bigint()
  const refused = run(iterations)
  const ns = Number(process.hrtime.bigint() - started) / iterations
  if (refused !== iterations) throw new Error('a token was accepted')
  const check = (list: string[]) => {
    const t0 = process.hrtime.bigint()
    let hits = 0
    for (let i = 0; i < iterations; i++) if (imported.matches(list[i % list.length]!)) hits++
    return { ns: Number(process.hrtime.bigint() - t0) / iterations, hits }
  }
  const plain = check(tokens)
  const similar = check(alike)
  if (plain.hits) throw new Error('a random token matched')
  console.log(
    `${String(n).padStart(7)} imported prefixes (${imported.size} distinct): refusal ${(ns / 1000).toFixed(2)} µs per token, of which the prefix check ${(plain.ns / 1000).toFixed(3)} µs; ` +
      `prefix check of junk starting like them ${(similar.ns / 1000).toFixed(3)} µs (${similar.hits} of ${iterations} would be looked up)`,
  )
}
