import { runCli } from './cli.js'

/** The composition root of the shipped server: Portico plus the products mounted on it. */
export async function main(argv: string[]): Promise<number> {
  const modules = await shippedModules()
  return runCli(argv, { modules })
}

async function shippedModules() {
  return []
}
