import type { Redis } from 'ioredis'
import { SLOTS, secondsUntil, type RateLimitDecision, type RateLimiter, type RateLimitRequest } from './limiter.js'

/**
 * The sliding window (limiter.ts) of every bucket of one request, checked and counted in one
 * script, so concurrent instances never admit more than the limit and a refused request is counted
 * nowhere. Time comes from the Redis server, so instances with skewed clocks agree.
 * A bucket is one hash: a count per slot, `n` (their total) and `o` (the lowest slot that may hold
 * a count). Each slot is dropped once, when it leaves the window, so a request touches a few fields
 * whatever the limit, and an idle bucket expires with its window.
 * KEYS: bucket keys. ARGV: slots per window, then (limit, window_ms) per key.
 * Returns, per key: room (0/1), remaining, ms until a slot frees (refused) or the oldest leaves.
 * A key with room reports 1 even when another key refused the request, so only the exhausted
 * policies are blamed (and timed) in the 429.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slots = tonumber(ARGV[1])
local n = #KEYS
local state = {}
local full = false
for i = 1, n do
  local key = KEYS[i]
  local limit = tonumber(ARGV[i * 2])
  local size = tonumber(ARGV[i * 2 + 1]) / slots
  local held = redis.call('HMGET', key, 'n', 'o')
  local total = tonumber(held[1]) or 0
  local oldest = tonumber(held[2]) or 0
  local slot = math.max(math.floor(now / size), oldest)
  local first = slot - slots
  -- changed: n and o must be written back (a slot left, or the bucket is new).
  local changed = total == 0
  if total > 0 and oldest < first then
    changed = true
    if first - oldest <= slots then
      while oldest < first do
        local c = tonumber(redis.call('HGET', key, string.format('%d', oldest)))
        if c then
          total = total - c
          redis.call('HDEL', key, string.format('%d', oldest))
        end
        oldest = oldest + 1
      end
      -- Empty slots at the old end are passed once, so o names the oldest count's slot.
      while total > 0 and redis.call('HEXISTS', key, string.format('%d', oldest)) == 0 do oldest = oldest + 1 end
    else
      total = 0
    end
    if total == 0 then redis.call('DEL', key) end
  end
  if total == 0 then oldest = slot end
  state[i] = { total = total, oldest = oldest, slot = slot, size = size, limit = limit, changed = changed }
  if total >= limit then full = true end
end
local out = {}
for i = 1, n do
  local s = state[i]
  local key = KEYS[i]
  if s.total >= s.limit then
    local need = s.total - s.limit + 1
    local seen = 0
    local j = s.oldest
    while true do
      seen = seen + (tonumber(redis.call('HGET', key, string.format('%d', j))) or 0)
      if seen >= need then break end
      j = j + 1
    end
    table.insert(out, 0); table.insert(out, 0); table.insert(out, math.ceil((j + slots + 1) * s.size - now))
  else
    if not full then
      -- A slot's first count sets the expiry: the bucket lives until its newest slot has left.
      if redis.call('HINCRBY', key, string.format('%d', s.slot), 1) == 1 then
        redis.call('PEXPIRE', key, math.ceil((slots + 1) * s.size))
      end
      s.total = s.total + 1
      if not s.changed then redis.call('HINCRBY', key, 'n', 1) end
    end
    table.insert(out, 1); table.insert(out, s.limit - s.total); table.insert(out, math.ceil((s.oldest + slots + 1) * s.size - now))
  end
  if s.changed and s.total > 0 then redis.call('HSET', key, 'n', s.total, 'o', string.format('%d', s.oldest)) end
end
return out
`

/**
 * Takes one count back from each bucket (a request admitted here and then refused by something
 * else): from the newest slot holding one, so the bucket's `n` and `o` stay true.
 * KEYS: bucket keys. ARGV: slots per window, then window_ms per key.
 */
const RELEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slots = tonumber(ARGV[1])
for i = 1, #KEYS do
  local key = KEYS[i]
  local size = tonumber(ARGV[i + 1]) / slots
  local held = redis.call('HMGET', key, 'n', 'o')
  local total = tonumber(held[1]) or 0
  local oldest = tonumber(held[2]) or 0
  if total > 0 then
    local j = math.max(math.floor(now / size), oldest)
    while j >= oldest do
      local field = string.format('%d', j)
      local c = tonumber(redis.call('HGET', key, field))
      if c and c > 0 then
        if c == 1 then redis.call('HDEL', key, field) else redis.call('HINCRBY', key, field, -1) end
        if total == 1 then redis.call('DEL', key) else redis.call('HINCRBY', key, 'n', -1) end
        break
      end
      j = j - 1
    end
  end
end
return 0
`

type Scripted = Redis & {
  porticoSlidingWindow(...args: (string | number)[]): Promise<number[]>
  porticoSlidingWindowRelease(...args: (string | number)[]): Promise<number>
}

/**
 * Counts in Redis. With `stallMs`, a connection where commands wait and nothing has been answered
 * for that long is dropped: a Redis that hangs without closing the connection then fails every
 * waiting request at once (the caller falls back) instead of holding them. One timer per limiter
 * watches, instead of one per command.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Scripted
  readonly #arguments = new WeakMap<RateLimitRequest[], (string | number)[]>()
  readonly #watchdog: NodeJS.Timeout | undefined
  /** Commands sent and not yet answered, and when the last answer came (or the first was sent). */
  #waiting = 0
  #progressAt = 0
  #closed = false

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
    stallMs = 0,
  ) {
    redis.defineCommand('porticoSlidingWindow', { lua: SCRIPT })
    redis.defineCommand('porticoSlidingWindowRelease', { lua: RELEASE })
    this.#redis = redis as Scripted
    if (stallMs > 0) {
      this.#watchdog = setInterval(() => this.#checkStall(stallMs), Math.max(10, stallMs / 4))
      this.#watchdog.unref()
    }
  }

  async consume(requests: RateLimitRequest[]): Promise<RateLimitDecision[]> {
    if (this.#waiting++ === 0) this.#progressAt = Date.now()
    try {
      const out = await this.#redis.porticoSlidingWindow(...this.#argumentsOf(requests))
      return requests.map((r, i) => ({
        policy: r.policy,
        allowed: out[i * 3] === 1,
        remaining: Math.max(0, out[i * 3 + 1]!),
        resetSeconds: secondsUntil(out[i * 3 + 2]!, 0),
      }))
    } finally {
      this.#waiting--
      this.#progressAt = Date.now()
    }
  }

  async release(requests: RateLimitRequest[]): Promise<void> {
    const keys = this.#argumentsOf(requests).slice(1, requests.length + 1)
    await this.#redis.porticoSlidingWindowRelease(requests.length, ...keys, SLOTS, ...requests.map((r) => r.policy.windowSeconds * 1000))
  }

  /**
   * Redis answers in order, so "nothing answered for stallMs while commands wait" means the oldest
   * has waited at least that long. Closing the connection rejects every waiting command; it then
   * reconnects, and until it is ready again commands are refused at once (no offline queue).
   */
  #checkStall(stallMs: number): void {
    if (this.#waiting === 0 || Date.now() - this.#progressAt < stallMs) return
    this.#progressAt = Date.now()
    const redis = this.#redis
    redis.once('end', () => {
      if (!this.#closed) redis.connect().catch(() => {})
    })
    // disconnect() only ends the stream, and waits ioredis' disconnectTimeout (2 s) for a Redis
    // that answers nothing before destroying it; destroyed now, the waiting commands fail now.
    const stream = (redis as unknown as { stream?: { destroy(): void } }).stream
    redis.disconnect()
    stream?.destroy()
  }

  /**
   * The script's arguments, built once per request list: a cached key's admission plan hands the
   * same list on every request.
   */
  #argumentsOf(requests: RateLimitRequest[]): (string | number)[] {
    let args = this.#arguments.get(requests)
    if (!args) {
      // The key names the layout (`w`: slot counts), so counters of the former log are never misread.
      args = [requests.length, ...requests.map((r) => `${this.keyPrefix}rlw:${r.bucket}:${r.policy.windowSeconds}`), SLOTS]
      for (const r of requests) args.push(r.policy.limit, r.policy.windowSeconds * 1000)
      this.#arguments.set(requests, args)
    }
    return args
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#watchdog)
    // The connection belongs to whoever created it.
  }
}
