import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

const root = path.resolve(import.meta.dirname, '..')
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8')

interface Service {
  image?: string
  build?: unknown
  command?: string[]
  environment?: Record<string, string>
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test?: string[]; disable?: boolean }
  volumes?: string[]
  ports?: string[]
}

// No Docker daemon here: the file is read as Compose reads it (merge keys included) and its wiring checked.
const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service> }
const { services } = compose
const instances = ['portico-1', 'portico-2'] as const

describe('compose.yaml', () => {
  it('runs two Portico instances, a worker, PostgreSQL, Redis and a load balancer', () => {
    expect(Object.keys(services).sort()).toEqual(['lb', 'portico-1', 'portico-2', 'postgres', 'redis', 'worker'])
    for (const name of [...instances, 'worker']) expect(services[name]!.build ?? services[name]!.image, name).toBeTruthy()
  })

  it('points the instances and the worker at the same PostgreSQL and Redis', () => {
    const env = (name: string) => services[name]!.environment!
    const databaseUrl = env('portico-1').DATABASE_URL!
    const redisUrl = env('portico-1').REDIS_URL!
    expect(new URL(databaseUrl.replace(/\$\{[^}]+\}/g, 'secret')).hostname).toBe('postgres')
    expect(new URL(redisUrl).hostname).toBe('redis')
    for (const name of [...instances, 'worker']) {
      expect(env(name).DATABASE_URL, name).toBe(databaseUrl)
      expect(env(name).REDIS_URL, name).toBe(redisUrl)
    }
    for (const name of instances) {
      expect(env(name).PORTICO_IN_PROCESS_WORKER, name).toBe('0')
      expect(env(name).HOST, name).toBe('0.0.0.0')
      // One proxy in front of them.
      expect(env(name).PORTICO_TRUST_PROXY, name).toBe('1')
      expect(Object.keys(services[name]!.depends_on ?? {}).sort()).toEqual(['postgres', 'redis'])
    }
  })

  it('runs the webhook worker as `portico worker`', () => {
    const command = services.worker!.command!
    expect(command.at(-1)).toBe('worker')
    expect(command).toContain('bin/portico.mjs')
  })

  it('takes secrets from the environment, never from the file', () => {
    const password = services.postgres!.environment!.POSTGRES_PASSWORD!
    expect(password).toMatch(/^\$\{POSTGRES_PASSWORD:\?/)
    expect(services['portico-1']!.environment!.DATABASE_URL).toContain('${POSTGRES_PASSWORD:?')
  })

  it('balances over both instances, checking their /readyz', () => {
    const lb = services.lb!
    const mount = lb.volumes!.find((v) => v.includes('Caddyfile'))!
    const caddyfile = read(mount.split(':')[0]!)
    const port = services['portico-1']!.environment!.PORT
    const upstreams = /reverse_proxy\s+([^{]+)\{/.exec(caddyfile)![1]!.trim().split(/\s+/)
    expect(upstreams.sort()).toEqual(instances.map((name) => `${name}:${port}`))
    expect(caddyfile).toMatch(/health_uri\s+\/readyz/)
    expect(Object.keys(lb.depends_on ?? {}).sort()).toEqual([...instances])
    expect(lb.ports!.length).toBeGreaterThan(0)
  })

  it('gives every long-running service a health check (the worker has no HTTP to probe)', () => {
    for (const name of instances) expect(services[name]!.healthcheck!.test!.join(' '), name).toContain('/readyz')
    for (const name of ['postgres', 'redis', 'lb']) expect(services[name]!.healthcheck?.test?.length, name).toBeGreaterThan(0)
    expect(services.worker!.healthcheck).toEqual({ disable: true })
    for (const name of instances) expect(services[name]!.depends_on!.postgres!.condition).toBe('service_healthy')
  })
})

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile')
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))

  it('builds in one stage and runs the compiled server from a pruned tree, as a non-root user, in another', () => {
    expect(instructions.filter((l) => l.startsWith('FROM ')).length).toBeGreaterThanOrEqual(2)
    expect(dockerfile).toContain('scripts/stage-production.sh')
    expect(read('scripts/stage-production.sh')).toMatch(/npm pack[\s\S]*npm ci --omit=dev/)
    const user = instructions.filter((l) => l.startsWith('USER ')).at(-1)
    expect(user).toBeDefined()
    expect(user).not.toMatch(/USER\s+(root|0)\b/)
    expect(instructions.filter((l) => l.startsWith('CMD ')).at(-1)).toContain('bin/portico.mjs", "start"')
    expect(instructions.some((l) => /^ENV .*(PASSWORD|SECRET|TOKEN)/.test(l))).toBe(false)
  })

  it('checks its health on /healthz', () => {
    expect(instructions.find((l) => l.startsWith('HEALTHCHECK '))).toContain('/healthz')
  })
})
