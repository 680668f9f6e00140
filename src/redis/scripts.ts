/**
 * The Lua scripts behind the Redis store. Each runs atomically, takes every deadline from
 * `redis.call('TIME')` (so replicas' clocks never matter), and answers with the whole shared
 * state as JSON, so every call is also a poll.
 *
 * Keys (all share the `{name}` hash tag, so Redis Cluster keeps them in one slot):
 * - `KEYS[1]` `<prefix>:{name}:s`  hash: st, g (generation), e (epoch), ou (open until), a
 *   (attempt), r (reason), d (detail), c (consecutive failures), ps (probe successes), at (since)
 * - `KEYS[2]` `<prefix>:{name}:p`  sorted set of probe leases, score = lease expiry (Redis time)
 * - `KEYS[3]` `<prefix>:{name}:q`  sorted set of replicas that tripped, score = when (quorum)
 * - `KEYS[4]` `<prefix>:{name}:r`  hash replica -> last applied flush sequence (no double counts)
 * - `<prefix>:{name}:w:<bucket>`   hash per time bucket: t (epoch:generation it counts for), n, f, sl.
 *   Derived in the script from `KEYS[1]`; same hash tag, so the same slot.
 *
 * ARGV common to every script: 1 replica id, 2 key TTL ms, 3 pub/sub channel, 4 reset timeout
 * ms, 5 backoff multiplier, 6 max reset timeout ms, 7 window ms, 8 bucket ms.
 */

const PRELUDE = `
local replica = ARGV[1]
local ttl = tonumber(ARGV[2])
local channel = ARGV[3]
local resetTimeout = tonumber(ARGV[4])
local backoff = tonumber(ARGV[5])
local maxReset = tonumber(ARGV[6])
local windowMs = tonumber(ARGV[7])
local bucketMs = tonumber(ARGV[8])
local base = string.sub(KEYS[1], 1, -2)

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function load()
  local v = redis.call('HMGET', KEYS[1], 'st', 'g', 'e', 'ou', 'a', 'r', 'd', 'c', 'ps', 'at')
  if not v[1] then
    return { st = 'closed', g = 0, e = tostring(now) .. '-' .. replica, ou = 0, a = 0,
      r = 'created', d = '', c = 0, ps = 0, at = now, changed = false }
  end
  return { st = v[1], g = tonumber(v[2]), e = v[3], ou = tonumber(v[4]), a = tonumber(v[5]),
    r = v[6], d = v[7], c = tonumber(v[8]), ps = tonumber(v[9]), at = tonumber(v[10]),
    changed = false }
end

local function openFor(attempt)
  local ms = resetTimeout * (backoff ^ attempt)
  if ms > maxReset then ms = maxReset end
  return math.floor(ms)
end

local function move(s, to, reason, detail, openUntil)
  s.st = to
  s.g = s.g + 1
  s.r = reason
  s.d = detail
  s.ou = openUntil
  s.at = now
  s.ps = 0
  s.c = 0
  s.changed = true
  redis.call('DEL', KEYS[2])
end

local function tag(s)
  return s.e .. ':' .. s.g
end

local function windowTotals(s)
  local calls, failures, slow = 0, 0, 0
  if s.st ~= 'closed' then return calls, failures, slow end
  local last = math.floor(now / bucketMs)
  local first = last - math.floor(windowMs / bucketMs) + 1
  local want = tag(s)
  for b = first, last do
    local v = redis.call('HMGET', base .. 'w:' .. b, 't', 'n', 'f', 'sl')
    if v[1] == want then
      calls = calls + tonumber(v[2] or '0')
      failures = failures + tonumber(v[3] or '0')
      slow = slow + tonumber(v[4] or '0')
    end
  end
  return calls, failures, slow
end

local function finish(s, extra)
  redis.call('HSET', KEYS[1], 'st', s.st, 'g', s.g, 'e', s.e, 'ou', s.ou, 'a', s.a, 'r', s.r,
    'd', s.d, 'c', s.c, 'ps', s.ps, 'at', s.at)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  local calls, failures, slow = windowTotals(s)
  local out = { state = s.st, generation = s.g, epoch = s.e, openUntil = s.ou, now = now,
    since = s.at, attempt = s.a, reason = s.r, detail = s.d, consecutive = s.c,
    probes = redis.call('ZCARD', KEYS[2]), calls = calls, failures = failures, slow = slow }
  if s.changed then
    redis.call('PUBLISH', channel, cjson.encode(out))
  end
  for k, v in pairs(extra) do out[k] = v end
  return cjson.encode(out)
end
`;

/** Adds one batch of outcomes, evaluates the shared rules, trips if they say so. */
const FLUSH = `${PRELUDE}
local seenEpoch = ARGV[9]
local seenGeneration = tonumber(ARGV[10])
local seq = tonumber(ARGV[11])
local calls = tonumber(ARGV[12])
local failures = tonumber(ARGV[13])
local slow = tonumber(ARGV[14])
local trailing = tonumber(ARGV[15])
local hadSuccess = ARGV[16] == '1'
local vote = ARGV[17]
local failureThreshold = tonumber(ARGV[18])
local rateThreshold = tonumber(ARGV[19])
local slowThreshold = tonumber(ARGV[20])
local minimumThroughput = tonumber(ARGV[21])
local quorum = tonumber(ARGV[22])

local s = load()
local duplicate = 0
if seq > 0 then
  local last = tonumber(redis.call('HGET', KEYS[4], replica) or '0')
  if seq <= last then duplicate = 1 else redis.call('HSET', KEYS[4], replica, seq) end
  redis.call('PEXPIRE', KEYS[4], ttl)
end
-- A batch counted against an older generation of this same key belongs to a past period.
local stale = 0
if seenEpoch == s.e and seenGeneration < s.g then stale = 1 end
local accepted = duplicate == 0 and stale == 0 and s.st == 'closed'

if accepted and calls > 0 then
  local key = base .. 'w:' .. math.floor(now / bucketMs)
  if redis.call('HGET', key, 't') ~= tag(s) then
    redis.call('DEL', key)
    redis.call('HSET', key, 't', tag(s))
  end
  redis.call('HINCRBY', key, 'n', calls)
  redis.call('HINCRBY', key, 'f', failures)
  redis.call('HINCRBY', key, 'sl', slow)
  redis.call('PEXPIRE', key, windowMs + bucketMs)
  if hadSuccess then s.c = trailing else s.c = s.c + failures end
end

if accepted then
  local reason = nil
  local detail = ''
  if quorum > 1 then
    if vote ~= '' then
      redis.call('ZADD', KEYS[3], now, replica)
      redis.call('PEXPIRE', KEYS[3], windowMs)
    end
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - windowMs)
    local votes = redis.call('ZCARD', KEYS[3])
    if vote ~= '' and votes >= quorum then
      reason = vote
      detail = 'quorum ' .. votes .. '/' .. quorum
    end
  else
    local n, f, sl = windowTotals(s)
    if failureThreshold > 0 and s.c >= failureThreshold then
      reason = 'consecutiveFailures'
    elseif rateThreshold > 0 and n >= minimumThroughput and f >= rateThreshold * n then
      reason = 'failureRate'
    elseif slowThreshold > 0 and n >= minimumThroughput and sl >= slowThreshold * n then
      reason = 'slowCallRate'
    elseif vote ~= '' then
      reason = vote
    end
  end
  if reason then
    redis.call('DEL', KEYS[3])
    move(s, 'open', reason, detail, now + openFor(s.a))
  end
end
return finish(s, { duplicate = duplicate, stale = stale })
`;

/** Moves a due open circuit to halfOpen, then takes a lease if fewer than N are held. */
const ACQUIRE_PROBE = `${PRELUDE}
local probe = ARGV[9]
local lease = tonumber(ARGV[10])
local maxProbes = tonumber(ARGV[11])
local s = load()
if (s.st == 'open' or s.st == 'forcedOpen') and s.ou > 0 and now >= s.ou then
  move(s, 'halfOpen', 'resetTimeout', '', 0)
end
local granted = 0
local expiresAt = 0
if s.st == 'halfOpen' then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) < maxProbes then
    expiresAt = now + lease
    redis.call('ZADD', KEYS[2], expiresAt, probe)
    redis.call('PEXPIRE', KEYS[2], lease)
    granted = 1
  end
end
return finish(s, { granted = granted, expiresAt = expiresAt })
`;

/** Releases a lease; a success closes once enough succeeded, a failure reopens. */
const SETTLE_PROBE = `${PRELUDE}
local probe = ARGV[9]
local ok = ARGV[10] == '1'
local leaseEpoch = ARGV[11]
local leaseGeneration = tonumber(ARGV[12])
local successThreshold = tonumber(ARGV[13])
local s = load()
redis.call('ZREM', KEYS[2], probe)
local late = 1
if s.st == 'halfOpen' and s.e == leaseEpoch and s.g == leaseGeneration then
  late = 0
  if ok then
    s.ps = s.ps + 1
    if s.ps >= successThreshold then
      move(s, 'closed', 'probesSucceeded', '', 0)
      s.a = 0
    end
  else
    s.a = s.a + 1
    move(s, 'open', 'probeFailure', '', now + openFor(s.a))
  end
end
return finish(s, { late = late })
`;

/** Gives a lease back without an outcome: the slot is free, the state does not move. */
const RELEASE_PROBE = `${PRELUDE}
local s = load()
redis.call('ZREM', KEYS[2], ARGV[9])
return finish(s, {})
`;

/** The manual controls; each one is a new generation. */
const COMMAND = `${PRELUDE}
local kind = ARGV[9]
local detail = ARGV[10]
local forMs = tonumber(ARGV[11])
local s = load()
if kind == 'forceOpen' then
  local untilMs = 0
  if forMs > 0 then untilMs = now + forMs end
  move(s, 'forcedOpen', 'forced', detail, untilMs)
elseif kind == 'disable' then
  move(s, 'disabled', 'disabled', detail, 0)
else
  move(s, 'closed', kind, detail, 0)
  s.a = 0
  redis.call('DEL', KEYS[3])
end
return finish(s, {})
`;

/** Reads the shared state (and keeps the keys alive). */
const READ = `${PRELUDE}
return finish(load(), {})
`;

/**
 * The scripts by name, as Lua source.
 *
 * @example
 * ```ts
 * const source: string = REDIS_SCRIPTS.flush;
 * ```
 */
export const REDIS_SCRIPTS = {
  flush: FLUSH,
  acquireProbe: ACQUIRE_PROBE,
  settleProbe: SETTLE_PROBE,
  releaseProbe: RELEASE_PROBE,
  command: COMMAND,
  read: READ,
} as const;

/**
 * The name of one script in {@link REDIS_SCRIPTS}.
 *
 * @example
 * ```ts
 * const name: RedisScriptName = 'read';
 * ```
 */
export type RedisScriptName = keyof typeof REDIS_SCRIPTS;
