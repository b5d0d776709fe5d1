import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const hono = { group: ['hono', 'hono/*', '@hono/*'], message: 'Only src/http, src/mcp, src/dashboard and server.ts speak HTTP; capabilities stay framework-free.' }
const dialects = {
  group: ['**/storage/sqlite*', '**/storage/postgres*'],
  message: 'Only server.ts (and test harnesses) pick SQLite or PostgreSQL.',
}

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'dist/**', 'examples/node-product/dist/**', 'data/**', 'test-artifacts/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.mjs', 'bench/**', 'scripts/**'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', Buffer: 'readonly' } },
    rules: { 'no-console': 'off' },
  },
  {
    files: ['examples/esign/assets/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['src/dashboard/assets/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', navigator: 'readonly', setTimeout: 'readonly' } },
  },
  // Dependency direction: core ← capabilities ← http/mcp/dashboard ← server.ts.
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['../*', '!../core/*'], message: 'core imports nothing outside core.' }, hono] }] },
  },
  {
    files: ['src/**/*.ts'],
    // src/library is the public face of server.ts: it hands the product Portico's Hono app.
    ignores: ['src/core/**', 'src/http/**', 'src/mcp/**', 'src/dashboard/**', 'src/server.ts', 'src/library/**', 'src/**/*.test.ts', 'src/**/*.test.tsx'],
    rules: { 'no-restricted-imports': ['error', { patterns: [hono, dialects] }] },
  },
  {
    files: ['src/http/**/*.ts', 'src/mcp/**/*.ts', 'src/dashboard/**/*.ts', 'src/dashboard/**/*.tsx', 'src/library/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.test.tsx'],
    rules: { 'no-restricted-imports': ['error', { patterns: [dialects] }] },
  },
  {
    files: ['examples/esign/**/*.ts', 'examples/main.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/src/*', '!**/src/index.js'], message: 'The example imports only Portico\'s public entry point, src/index.js.' },
            { group: ['**/src/*/**'], message: 'The example imports only Portico\'s public entry point, src/index.js.' },
            { group: ['**/test/*', '!**/test/harness.js', '!**/test/pdf-fixture.js'], message: 'Tests use the harness and fixtures only.' },
            { ...hono, message: 'The example speaks web-standard Request/Response only, as a product mounted on Portico would.' },
          ],
        },
      ],
    },
  },
  // A customer's product: it imports only the installed package, and mounts Portico in its own Hono app.
  {
    files: ['examples/node-product/**/*.ts'],
    rules: {
      'no-console': 'off',
      'no-restricted-imports': ['error', { patterns: [{ group: ['../../*', '../../../*'], message: 'The product imports the installed portico package, never the repository\'s sources.' }] }],
    },
  },
)
