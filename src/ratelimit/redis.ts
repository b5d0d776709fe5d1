import type { Redis } from 'ioredis'
import { secondsUntil, type RateLimitDecision, type RateLimiter, type RateLimitRequest } from './limiter.js'

/**
 * The sliding-window log of every bucket of one request, checked and recorded in one script, so
 * concurrent instances never admit more than the limit and a refused request is counted nowhere.
 * Time comes from the Redis server, so instances with skewed clocks agree.
 * KEYS: bucket keys. ARGV: member suffix, then (limit, window_ms) per key.
 * Returns, per key: room (0/1), remaining, ms until a slot frees (refused) or the oldest leaves.
 * A key with room reports 1 even when another key refused the request, so only the exhausted
 * policies are blamed (and timed) in the 429.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local used = {}
local full = false
for i = 1, n do
  local limit = tonumber(ARGV[i * 2])
  local window = tonumber(ARGV[i * 2 + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  used[i] = redis.call('ZCARD', KEYS[i])
  if used[i] >= limit then full = true end
end
local out = {}
for i = 1, n do
  local limit = tonumber(ARGV[i * 2])
  local window = tonumber(ARGV[i * 2 + 1])
  if used[i] >= limit then
    local entry = redis.call('ZRANGE', KEYS[i], used[i] - limit, used[i] - limit, 'WITHSCORES')
    table.insert(out, 0); table.insert(out, 0); table.insert(out, tonumber(entry[2]) + window - now)
  else
    if not full then
      redis.call('ZADD', KEYS[i], now, now .. '-' .. ARGV[1])
      redis.call('PEXPIRE', KEYS[i], window)
    end
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local first = oldest[2] and tonumber(oldest[2]) or now
    local left = limit - used[i]
    if not full then left = left - 1 end
    table.insert(out, 1); table.insert(out, left); table.insert(out, first + window - now)
  end
end
return out
`

type Scripted = Redis & { porticoSlidingWindow(...args: (string | number)[]): Promise<number[]> }

let sequence = 0

export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Scripted

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    redis.defineCommand('porticoSlidingWindow', { lua: SCRIPT })
    this.#redis = redis as Scripted
  }

  async consume(requests: RateLimitRequest[]): Promise<RateLimitDecision[]> {
    const keys = requests.map((r) => `${this.keyPrefix}rl:${r.bucket}:${r.policy.windowSeconds}`)
    const args: (string | number)[] = [`${process.pid}.${++sequence}.${Math.random().toString(36).slice(2, 8)}`]
    for (const r of requests) args.push(r.policy.limit, r.policy.windowSeconds * 1000)
    const out = await this.#redis.porticoSlidingWindow(keys.length, ...keys, ...args)
    return requests.map((r, i) => ({
      policy: r.policy,
      allowed: out[i * 3] === 1,
      remaining: Math.max(0, out[i * 3 + 1]!),
      resetSeconds: secondsUntil(out[i * 3 + 2]!, 0),
    }))
  }

  async close(): Promise<void> {
    // The connection belongs to whoever created it.
  }
}
