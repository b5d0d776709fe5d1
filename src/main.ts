import { runCli } from './cli.js'
import type { PorticoModule } from './core/module.js'

/** The composition root of the shipped server: Portico plus the products mounted on it. */
export async function main(argv: string[]): Promise<number> {
  const modules = await shippedModules()
  return runCli(argv, { modules })
}

/** Products mounted by default; tests use the same list so they cover what ships. */
export async function shippedModules(): Promise<PorticoModule[]> {
  if (process.env.PORTICO_EXAMPLE === '0' || process.env.PORTICO_EXAMPLE === 'false') return []
  const { esignModule } = await import('../examples/esign/index.js')
  return [esignModule]
}
