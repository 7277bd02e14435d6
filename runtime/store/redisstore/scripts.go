package redisstore

import "github.com/redis/go-redis/v9"

// The scripts read the time from the Redis server (TIME), in milliseconds,
// so that replicas need no synchronised clocks. A claim is a hash under
// KEYS[1] with fields state (1 processing, 2 done, 3 failed), attempt,
// token, lease_until and expires; an entity is a hash with version, has
// (0/1), terminal (0/1), expires, holder, hold_token and hold_until. Each
// key's PEXPIRE matches its expires, so Redis drops what expired.

// nowMS is the prelude of every script: now in server milliseconds.
const nowMS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// claimScript: KEYS[1] claim, KEYS[2] fence counter; ARGV token, lease,
// failed retention. Returns {won, state, attempt, lease_until, fence}.
var claimScript = redis.NewScript(nowMS + `
local h = redis.call('HMGET', KEYS[1], 'state', 'attempt', 'lease_until', 'expires')
local state, attempt = tonumber(h[1]), tonumber(h[2]) or 0
local lu, exp = tonumber(h[3]) or 0, tonumber(h[4]) or 0
if state and now < exp then
  if state == 2 then return {0, 2, attempt, 0, 0} end
  if state == 1 and now < lu then return {0, 1, attempt, lu, 0} end
  attempt = attempt + 1
else
  attempt = 1
end
local untilMS = now + tonumber(ARGV[2])
local expires = untilMS + tonumber(ARGV[3])
local fence = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'state', 1, 'attempt', attempt, 'token', ARGV[1],
  'lease_until', untilMS, 'expires', expires)
redis.call('PEXPIREAT', KEYS[1], expires)
return {1, 1, attempt, untilMS, fence}
`)

// settleScript: KEYS[1] claim; ARGV token, new state (2 or 3),
// retention. Returns 1 changed, 0 already so, -1 lease lost.
var settleScript = redis.NewScript(nowMS + `
local h = redis.call('HMGET', KEYS[1], 'state', 'token', 'expires')
local state, exp = tonumber(h[1]), tonumber(h[3]) or 0
local to = tonumber(ARGV[2])
if not state or now >= exp or h[2] ~= ARGV[1] or ARGV[1] == '' then return -1 end
if state == to then return 0 end
if state ~= 1 then return -1 end
local expires = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'state', to, 'expires', expires)
redis.call('PEXPIREAT', KEYS[1], expires)
return 1
`)

// extendScript: KEYS[1] claim; ARGV token, lease, failed retention.
// Returns the new lease end, or -1 when the lease is lost.
var extendScript = redis.NewScript(nowMS + `
local h = redis.call('HMGET', KEYS[1], 'state', 'token', 'lease_until', 'expires')
local state, lu, exp = tonumber(h[1]), tonumber(h[3]) or 0, tonumber(h[4]) or 0
if state ~= 1 or now >= exp or now >= lu or h[2] ~= ARGV[1] or ARGV[1] == '' then return -1 end
local untilMS = now + tonumber(ARGV[2])
local expires = untilMS + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'lease_until', untilMS, 'expires', expires)
redis.call('PEXPIREAT', KEYS[1], expires)
return untilMS
`)

// getScript: KEYS[1] claim. Returns the state as Get reports it.
var getScript = redis.NewScript(nowMS + `
local h = redis.call('HMGET', KEYS[1], 'state', 'lease_until', 'expires')
local state, lu, exp = tonumber(h[1]), tonumber(h[2]) or 0, tonumber(h[3]) or 0
if not state or now >= exp then return 0 end
if state == 1 and now >= lu then return 3 end
return state
`)

// orderPrelude reads the entity under KEYS[1] into locals, empty when
// absent or expired.
const orderPrelude = nowMS + `
local h = redis.call('HMGET', KEYS[1], 'version', 'has', 'terminal', 'expires', 'holder', 'hold_token', 'hold_until')
local live = h[4] and now < tonumber(h[4])
local version, has, terminal, expires = '0', false, false, 0
local holder, token, holdUntil = '', '', 0
if live then
  version, has, terminal, expires = h[1], h[2] == '1', h[3] == '1', tonumber(h[4])
  holder, token, holdUntil = h[5] or '', h[6] or '', tonumber(h[7]) or 0
end
-- cmp compares two canonical decimal integers (strconv.FormatInt) exactly.
local function cmp(a, b)
  local na, nb = a:sub(1, 1) == '-', b:sub(1, 1) == '-'
  if na ~= nb then return na and -1 or 1 end
  if a == b then return 0 end
  local r
  if #a ~= #b then r = (#a < #b) and -1 or 1 else r = (a < b) and -1 or 1 end
  if na then return -r end
  return r
end
local function save()
  redis.call('HSET', KEYS[1], 'version', version, 'has', has and 1 or 0, 'terminal', terminal and 1 or 0,
    'expires', expires, 'holder', holder, 'hold_token', token, 'hold_until', holdUntil)
  redis.call('PEXPIREAT', KEYS[1], expires)
end
`

// Versions are kept and compared as decimal strings (cmp), exact for
// every int64; Lua numbers are doubles.

// acquireScript: KEYS[1] entity; ARGV version, has (0/1), holder, token,
// lease. Returns {verdict, until}: 1 accept, 2 stale, 3 after-terminal,
// 4 busy.
var acquireScript = redis.NewScript(orderPrelude + `
if live and terminal then return {3, 0} end
if live and ARGV[2] == '1' and has and cmp(ARGV[1], version) < 0 then return {2, 0} end
if live and token ~= '' and now < holdUntil and holder ~= ARGV[3] then return {4, holdUntil} end
holder, token, holdUntil = ARGV[3], ARGV[4], now + tonumber(ARGV[5])
if holdUntil > expires then expires = holdUntil end
save()
return {1, holdUntil}
`)

// commitOrderScript: KEYS[1] entity; ARGV token, version, has, terminal,
// retention. Returns 1, or -1 when the hold is lost.
var commitOrderScript = redis.NewScript(orderPrelude + `
if not live or token == '' or token ~= ARGV[1] then return -1 end
if ARGV[3] == '1' and (not has or cmp(ARGV[2], version) > 0) then
  version, has = ARGV[2], true
end
terminal = terminal or ARGV[4] == '1'
holder, token, holdUntil = '', '', 0
expires = now + tonumber(ARGV[5])
save()
return 1
`)

// abandonOrderScript: KEYS[1] entity; ARGV token. Returns 1 or -1.
var abandonOrderScript = redis.NewScript(orderPrelude + `
if not live or token == '' or token ~= ARGV[1] then return -1 end
holder, token, holdUntil = '', '', 0
save()
return 1
`)

// extendOrderScript: KEYS[1] entity; ARGV token, lease. Returns the new
// hold end, or -1 when the hold is lost.
var extendOrderScript = redis.NewScript(orderPrelude + `
if not live or token == '' or token ~= ARGV[1] or now >= holdUntil then return -1 end
holdUntil = now + tonumber(ARGV[2])
if holdUntil > expires then expires = holdUntil end
save()
return holdUntil
`)

// checkScript: KEYS[1] entity; ARGV version, has. Returns the verdict
// (1 accept, 2 stale, 3 after-terminal).
var checkScript = redis.NewScript(orderPrelude + `
if not live then return 1 end
if terminal then return 3 end
if ARGV[2] == '1' and has and cmp(ARGV[1], version) < 0 then return 2 end
return 1
`)

// commitScript: KEYS[1] entity; ARGV version, has, terminal, retention.
var commitScript = redis.NewScript(orderPrelude + `
if ARGV[2] == '1' and (not has or cmp(ARGV[1], version) > 0) then
  version, has = ARGV[1], true
end
terminal = terminal or ARGV[3] == '1'
expires = now + tonumber(ARGV[4])
if holdUntil > expires then expires = holdUntil end
save()
return 1
`)
