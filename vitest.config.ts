import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'examples/**/*.test.ts', 'test/**/*.test.ts'],
    // A separate project with its own dependencies and test runner; test/package.test.ts runs it.
    exclude: ['**/node_modules/**', 'examples/node-product/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more workers only fight over them.
    maxWorkers: 2,
    // Every answer of every server the suites start (in process or as a child) is validated against its output schema.
    env: { PORTICO_CHECK_OUTPUT: '1' },
  },
})
