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
 * Requests arrive in runs: consecutive requests with the same buckets and limits (one key's
 * traffic), sent once with their number. A run of c such requests, decided one by one, admits
 * a = min(c, room of each bucket) and refuses the rest, which all see the same state; so the script
 * does the same work for a run as for one request, and the caller spells each request's answer out.
 * KEYS: the distinct bucket keys. ARGV: slots per window, window_ms per key, then per run: its
 * request count c, its bucket count m and m pairs (key index from 1, limit).
 * Returns per run: a, then per bucket: its count before the run, ms until its oldest slot leaves
 * (the reset of a request with room), and ms until a slot frees once the run is counted if it is
 * then full and a request was refused (else 0).
 */
const SCRIPT = `
local tonumber, floor, ceil = tonumber, math.floor, math.ceil
local call = redis.call
local t = call('TIME')
local now = tonumber(t[1]) * 1000 + floor(tonumber(t[2]) / 1000)
local slots = tonumber(ARGV[1])
local keys = #KEYS
local buckets = {}
for k = 1, keys do
  local key = KEYS[k]
  local size = tonumber(ARGV[k + 1]) / slots
  local held = call('HMGET', key, 'n', 'o')
  local total = tonumber(held[1]) or 0
  local oldest = tonumber(held[2]) or 0
  local slot = math.max(floor(now / size), oldest)
  local first = slot - slots
  -- changed: n and o must be written back even if nothing is counted (a slot left).
  local changed = false
  if total > 0 and oldest < first then
    changed = true
    if first - oldest <= slots then
      while oldest < first do
        local field = string.format('%d', oldest)
        local c = tonumber(call('HGET', key, field))
        if c then
          total = total - c
          call('HDEL', key, field)
        end
        oldest = oldest + 1
      end
      -- Empty slots at the old end are passed once, so o names the oldest count's slot.
      while total > 0 and call('HEXISTS', key, string.format('%d', oldest)) == 0 do oldest = oldest + 1 end
    else
      total = 0
    end
    if total == 0 then call('DEL', key) end
  end
  if total == 0 then oldest = slot end
  -- added: counted by this call (in slot); held: slot counts read so far, as stored; reset: ms
  -- until the oldest slot leaves (oldest does not move during the call).
  buckets[k] = { key = key, total = total, oldest = oldest, slot = slot, size = size, changed = changed, added = 0, held = {}, reset = ceil((oldest + slots + 1) * size - now) }
end
-- A slot's count: as stored, plus what this call counted in it.
local function count(b, j)
  local c = b.held[j]
  if c == nil then
    c = tonumber(call('HGET', b.key, string.format('%d', j))) or 0
    b.held[j] = c
  end
  if j == b.slot then return c + b.added end
  return c
end
-- ms until enough slots have left for a full bucket to have room for one more.
local function freed(b, limit)
  local need = b.total - limit + 1
  local seen = 0
  local j = b.oldest
  while true do
    seen = seen + count(b, j)
    if seen >= need then break end
    j = j + 1
  end
  return ceil((j + slots + 1) * b.size - now)
end
local out = {}
local n = 0
local i = keys + 2
local last = #ARGV
while i <= last do
  local c = tonumber(ARGV[i])
  local to = i + 1 + 2 * tonumber(ARGV[i + 1])
  local a = c
  for p = i + 2, to, 2 do
    local room = tonumber(ARGV[p + 1]) - buckets[tonumber(ARGV[p])].total
    if room < a then a = room end
  end
  if a < 0 then a = 0 end
  out[n + 1] = a
  n = n + 1
  for p = i + 2, to, 2 do
    local b = buckets[tonumber(ARGV[p])]
    local before = b.total
    b.total = before + a
    b.added = b.added + a
    out[n + 1] = before
    out[n + 2] = b.reset
    -- The refused requests' wait on this bucket, once the run's admissions are counted in it.
    if a < c and b.total >= tonumber(ARGV[p + 1]) then out[n + 3] = freed(b, tonumber(ARGV[p + 1])) else out[n + 3] = 0 end
    n = n + 3
  end
  i = to + 1
end
for k = 1, keys do
  local b = buckets[k]
  -- A slot's first count sets the expiry: the bucket lives until its newest slot has left.
  if b.added > 0 and call('HINCRBY', b.key, string.format('%d', b.slot), b.added) == b.added then
    call('PEXPIRE', b.key, ceil((slots + 1) * b.size))
  end
  if b.total > 0 and (b.changed or b.added > 0) then call('HSET', b.key, 'n', b.total, 'o', string.format('%d', b.oldest)) end
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

/** Consecutive requests with the same buckets and limits: sent once, with their number. */
interface Run {
  requests: RateLimitRequest[]
  keys: string[]
  count: number
  /** Where the run's answers start: its admitted count, then three numbers per bucket. */
  offset: number
}

/** The admissions of one event-loop turn, answered by one script call. */
class Batch {
  readonly runs: Run[] = []
  /** Requests in the batch, all runs together. */
  size = 0
  /** Numbers the answer holds so far. */
  answerLength = 0
  readonly answered: Promise<number[]>
  settle!: (out: Promise<number[]>) => void

  constructor() {
    this.answered = new Promise((resolve) => (this.settle = resolve))
  }
}

/**
 * Counts in Redis. The admissions that arrive in one event-loop turn wait for the end of it and go
 * as one script call (up to BATCH_LIMIT requests), so a busy instance pays one round trip per turn
 * instead of one per request; each request is still decided alone and all-or-nothing, and a run of
 * one key's requests costs the script what one request does. If the call fails, every request in
 * it gets the error (the caller falls back or refuses); nothing of a failed call is counted. With
 * `stallMs`, a connection where commands wait and nothing has been answered for that long is
 * dropped: a Redis that hangs without closing the connection then fails every waiting request at
 * once (the caller falls back) instead of holding them. One timer per limiter watches, instead of
 * one per command.
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
    const keys = this.#keysOf(requests)
    const previous = batch.runs[batch.runs.length - 1]
    let run: Run
    if (previous && sameRun(previous, requests, keys)) run = previous
    else {
      run = { requests, keys, count: 0, offset: batch.answerLength }
      batch.runs.push(run)
      batch.answerLength += 1 + 3 * requests.length
    }
    const index = run.count++
    if (++batch.size >= BATCH_LIMIT) {
      this.#batch = undefined
      this.#send(batch)
    } else if (!this.#flushSet) {
      // setImmediate runs once this turn's I/O callbacks have all run: the requests read from every
      // socket in the turn share the call, and none waits on a timer. (A microtask would run after
      // each socket's callback, so each request would still go alone.)
      this.#flushSet = true
      setImmediate(this.#flush)
    }
    return batch.answered.then((out) => decisions(requests, out, run.offset, index))
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
    const sent = (async () => this.#redis.porticoSlidingWindow(...this.#argumentsOf(batch.runs)))()
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

  /** The script's arguments for a batch: each bucket key once, then every run's count and (key, limit) pairs. */
  #argumentsOf(runs: Run[]): (string | number)[] {
    const index = new Map<string, number>()
    const keys: string[] = []
    const windows: number[] = []
    const pairs: number[] = []
    for (const { requests, keys: names, count } of runs) {
      pairs.push(count, requests.length)
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
      if (keys.length > 1 && new Set(keys).size !== keys.length) repeating.add(keys)
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

/**
 * Whether a request joins the run before it: the same buckets (with no bucket twice, whose counts
 * a run could not share) and the same limits.
 */
function sameRun(run: Run, requests: RateLimitRequest[], keys: string[]): boolean {
  if (run.requests === requests) return !hasRepeats(keys)
  if (run.requests.length !== requests.length) return false
  for (let i = 0; i < requests.length; i++) {
    if (run.keys[i] !== keys[i] || run.requests[i]!.policy.limit !== requests[i]!.policy.limit) return false
  }
  return !hasRepeats(keys)
}

/** Key lists that name a bucket twice (none that Portico makes): each of their requests goes alone. */
const repeating = new WeakSet<string[]>()
const hasRepeats = (keys: string[]) => repeating.has(keys)

/**
 * The decisions of the run's request number `index`, from the run's answer at `from`: the first
 * `admitted` are counted, each seeing the counts its predecessors left; the rest see the run's
 * final counts, refused by the buckets that are full and with room in the others.
 */
function decisions(requests: RateLimitRequest[], out: number[], from: number, index: number): RateLimitDecision[] {
  const admitted = out[from]!
  return requests.map((r, i) => {
    const at = from + 1 + i * 3
    const before = out[at]!
    const counted = index < admitted ? before + index + 1 : before + admitted
    const full = index >= admitted && counted >= r.policy.limit
    return {
      policy: r.policy,
      allowed: !full,
      remaining: full ? 0 : Math.max(0, r.policy.limit - counted),
      resetSeconds: secondsUntil(full ? out[at + 2]! : out[at + 1]!, 0),
    }
  })
}
