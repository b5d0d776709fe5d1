/**
 * The repository's server: Portico with the example product mounted, composed exactly as a
 * product composes its own `portico` command (runCli with its modules). `npm start` and
 * `npx portico` in the repository run this; the published package's bin runs Portico alone.
 */
import { runCli, type PorticoModule } from '../src/index.js'

export async function main(argv: string[]): Promise<number> {
  return runCli(argv, { modules: await shippedModules() })
}

/** Products the repository's server mounts; tests use the same list so they cover what it serves. */
export async function shippedModules(): Promise<PorticoModule[]> {
  if (process.env.PORTICO_EXAMPLE === '0' || process.env.PORTICO_EXAMPLE === 'false') return []
  const { esignModule } = await import('./esign/index.js')
  return [esignModule]
}
