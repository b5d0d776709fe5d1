import type { Redis } from 'ioredis'
import { SLOTS, secondsUntil, type RateLimitDecision, type RateLimiter, type RateLimitRequest } from './limiter.js'

/**
 * The sliding window (limiter.ts) of every bucket of many requests, checked and counted in one
 * script call, so concurrent instances never admit more than the limit and a refused request is
 * counted nowhere. The requests are decided in order, each all-or-nothing across its buckets, as
 * if each had its own call; a bucket is read once per call, however many requests touch it, and
 * written back once at the end. Time comes from the Redis server, so instances with skewed clocks
 * agree.
 * A bucket is one hash: a count per slot, `n` (their total) and `o` (the lowest slot that may hold
 * a count). Each slot is dropped once, when it leaves the window, so a request touches a few fields
 * whatever the limit, and an idle bucket expires with its window.
 * KEYS: the distinct bucket keys. ARGV: slots per window, window_ms per key, then per request its
 * bucket count m and m pairs (key index from 1, limit).
 * Returns, per bucket of every request in turn: room (0/1), remaining, ms until a slot frees
 * (refused) or the oldest leaves. A bucket with room reports 1 even when another bucket refused
 * the request, so only the exhausted policies are blamed (and timed) in the 429.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slots = tonumber(ARGV[1])
local keys = #KEYS
local buckets = {}
for k = 1, keys do
  local key = KEYS[k]
  local size = tonumber(ARGV[k + 1]) / slots
  local held = redis.call('HMGET', key, 'n', 'o')
  local total = tonumber(held[1]) or 0
  local oldest = tonumber(held[2]) or 0
  local slot = math.max(math.floor(now / size), oldest)
  local first = slot - slots
  -- changed: n and o must be written back even if nothing is counted (a slot left).
  local changed = false
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
  -- added: counted by this call (in slot); held: slot counts read so far, as stored.
  buckets[k] = { key = key, total = total, oldest = oldest, slot = slot, size = size, changed = changed, added = 0, held = {} }
end
-- A slot's count: as stored, plus what this call counted in it.
local function count(b, j)
  local c = b.held[j]
  if c == nil then
    c = tonumber(redis.call('HGET', b.key, string.format('%d', j))) or 0
    b.held[j] = c
  end
  if j == b.slot then return c + b.added end
  return c
end
local out = {}
local i = keys + 2
local last = #ARGV
while i <= last do
  local m = tonumber(ARGV[i])
  local full = false
  for p = i + 1, i + 2 * m, 2 do
    if buckets[tonumber(ARGV[p])].total >= tonumber(ARGV[p + 1]) then full = true end
  end
  if not full then
    for p = i + 1, i + 2 * m, 2 do
      local b = buckets[tonumber(ARGV[p])]
      b.total = b.total + 1
      b.added = b.added + 1
    end
  end
  for p = i + 1, i + 2 * m, 2 do
    local b = buckets[tonumber(ARGV[p])]
    local limit = tonumber(ARGV[p + 1])
    if full and b.total >= limit then
      local need = b.total - limit + 1
      local seen = 0
      local j = b.oldest
      while true do
        seen = seen + count(b, j)
        if seen >= need then break end
        j = j + 1
      end
      table.insert(out, 0); table.insert(out, 0); table.insert(out, math.ceil((j + slots + 1) * b.size - now))
    else
      table.insert(out, 1); table.insert(out, limit - b.total); table.insert(out, math.ceil((b.oldest + slots + 1) * b.size - now))
    end
  end
  i = i + 2 * m + 1
end
for k = 1, keys do
  local b = buckets[k]
  -- A slot's first count sets the expiry: the bucket lives until its newest slot has left.
  if b.added > 0 and redis.call('HINCRBY', b.key, string.format('%d', b.slot), b.added) == b.added then
    redis.call('PEXPIRE', b.key, math.ceil((slots + 1) * b.size))
  end
  if b.total > 0 and (b.changed or b.added > 0) then redis.call('HSET', b.key, 'n', b.total, 'o', string.format('%d', b.oldest)) end
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

/** Requests per script call: a turn that admits more sends several calls, back to back. */
export const BATCH_LIMIT = 256

/** The admissions of one event-loop turn, answered by one script call. */
class Batch {
  readonly lists: RateLimitRequest[][] = []
  /** Buckets so far: where the next request's answers start, in threes. */
  buckets = 0
  readonly answered: Promise<number[]>
  settle!: (out: Promise<number[]>) => void

  constructor() {
    this.answered = new Promise((resolve) => (this.settle = resolve))
  }
}

/**
 * Counts in Redis. The admissions that arrive in one event-loop turn wait for the end of it and go
 * as one script call (up to BATCH_LIMIT requests), so a busy instance pays one round trip per turn
 * instead of one per request; each request is still decided alone and all-or-nothing. If the call
 * fails, every request in it gets the error (the caller falls back or refuses); nothing of a failed
 * call is counted. With `stallMs`, a connection where commands wait and nothing has been answered
 * for that long is dropped: a Redis that hangs without closing the connection then fails every
 * waiting request at once (the caller falls back) instead of holding them. One timer per limiter
 * watches, instead of one per command.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Scripted
  readonly #keys = new WeakMap<RateLimitRequest[], string[]>()
  readonly #watchdog: NodeJS.Timeout | undefined
  /** The batch this turn's admissions join, and whether its flush at the end of the turn is set. */
  #batch: Batch | undefined
  #flushSet = false
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

  consume(requests: RateLimitRequest[]): Promise<RateLimitDecision[]> {
    const batch = (this.#batch ??= new Batch())
    const from = batch.buckets * 3
    batch.lists.push(requests)
    batch.buckets += requests.length
    if (batch.lists.length >= BATCH_LIMIT) {
      this.#batch = undefined
      this.#send(batch)
    } else if (!this.#flushSet) {
      // setImmediate runs once this turn's I/O callbacks have all run: the requests read from every
      // socket in the turn share the call, and none waits on a timer. (A microtask would run after
      // each socket's callback, so each request would still go alone.)
      this.#flushSet = true
      setImmediate(this.#flush)
    }
    return batch.answered.then((out) => decisions(requests, out, from))
  }

  readonly #flush = (): void => {
    this.#flushSet = false
    const batch = this.#batch
    if (!batch) return
    this.#batch = undefined
    this.#send(batch)
  }

  #send(batch: Batch): void {
    if (this.#waiting++ === 0) this.#progressAt = Date.now()
    const sent = (async () => this.#redis.porticoSlidingWindow(...this.#argumentsOf(batch.lists)))()
    const answered = () => {
      this.#waiting--
      this.#progressAt = Date.now()
    }
    sent.then(answered, answered)
    batch.settle(sent)
  }

  async release(requests: RateLimitRequest[]): Promise<void> {
    const keys = this.#keysOf(requests)
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

  /** The script's arguments for a batch: each bucket key once, then every request's (key, limit) pairs. */
  #argumentsOf(lists: RateLimitRequest[][]): (string | number)[] {
    const index = new Map<string, number>()
    const keys: string[] = []
    const windows: number[] = []
    const pairs: number[] = []
    for (const requests of lists) {
      const names = this.#keysOf(requests)
      pairs.push(requests.length)
      for (let i = 0; i < requests.length; i++) {
        const name = names[i]!
        let k = index.get(name)
        if (k === undefined) {
          keys.push(name)
          windows.push(requests[i]!.policy.windowSeconds * 1000)
          index.set(name, (k = keys.length))
        }
        pairs.push(k, requests[i]!.policy.limit)
      }
    }
    return [keys.length, ...keys, SLOTS, ...windows, ...pairs]
  }

  /**
   * A request list's bucket keys, built once per list: a cached key's admission plan hands the same
   * list on every request. The key names the window (a bucket's window changed by an override
   * starts a new count) and the layout (`w`: slot counts), so counters of the former log are never misread.
   */
  #keysOf(requests: RateLimitRequest[]): string[] {
    let keys = this.#keys.get(requests)
    if (!keys) {
      keys = requests.map((r) => `${this.keyPrefix}rlw:${r.bucket}:${r.policy.windowSeconds}`)
      this.#keys.set(requests, keys)
    }
    return keys
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#watchdog)
    // The connection belongs to whoever created it.
  }
}

/** One request's decisions: its buckets' answers, three numbers each from `from`. */
function decisions(requests: RateLimitRequest[], out: number[], from: number): RateLimitDecision[] {
  return requests.map((r, i) => ({
    policy: r.policy,
    allowed: out[from + i * 3] === 1,
    remaining: Math.max(0, out[from + i * 3 + 1]!),
    resetSeconds: secondsUntil(out[from + i * 3 + 2]!, 0),
  }))
}
