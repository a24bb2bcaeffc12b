"""The Lua scripts of the live state: each runs atomically on the Redis server.

Only ``live.py`` runs them (it passes their keys); this module holds their
text so that ``live.py`` stays readable.
"""

# A link is the first student's: the same student may use it again, nobody else.
USE_LINK_LUA = """
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] and 1 or 0
"""

# Finishing and moving the end only touch a session that is still open: a
# session the sweep has meanwhile closed or deleted must not come back as a
# data-less key without a TTL.
FINISH_LUA = """
if redis.call('HGET', KEYS[1], 'state') ~= 'open' then return 0 end
local ends = math.min(tonumber(redis.call('HGET', KEYS[1], 'ends')), tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'state', 'finished', 'ends', string.format('%.6f', ends))
redis.call('ZADD', KEYS[2], ends, ARGV[2])
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return 1
"""

CHANGE_END_LUA = """
if redis.call('HGET', KEYS[1], 'state') ~= 'open' then return 0 end
redis.call('HSET', KEYS[1], 'ends', ARGV[1])
redis.call('ZADD', KEYS[2], tonumber(ARGV[1]), ARGV[3])
for i = 1, #KEYS do
  if i ~= 2 then redis.call('EXPIREAT', KEYS[i], ARGV[2]) end
end
return 1
"""

# Check-in: open?  → record exists? (a rejected one may be replaced) → device
# rule → write.  One script, so double taps and shared devices race safely.
# The function is shared by the two check-in scripts below.
_WRITE_CHECK_IN = """
local function write(meta, records, devices, attempts, number, record, device, now, expire_at, limit)
  local state = redis.call('HGET', meta, 'state')
  if not state then return {'missing', ''} end
  if state ~= 'open' or now >= tonumber(redis.call('HGET', meta, 'ends')) then return {'closed', ''} end
  if tonumber(redis.call('HGET', attempts, number) or '0') >= limit then return {'locked', ''} end
  local existing = redis.call('HGET', records, number)
  local new = cjson.decode(record)
  if existing then
    local old = cjson.decode(existing)
    if old['status'] ~= 'rejected' or new['status'] == 'rejected' or old['by_teacher'] then
      return {'exists', existing}
    end
  end
  if device ~= '' then
    local owner = redis.call('HGET', devices, device)
    if owner and owner ~= number then
      new['status'] = 'rejected'
      new['reason'] = 'This phone was already used to check in another student.'
      table.insert(new['flags'], 'shared_device')
      record = cjson.encode(new)
    else
      redis.call('HSET', devices, device, number)
      redis.call('EXPIREAT', devices, expire_at)
    end
  end
  redis.call('HSET', records, number, record)
  redis.call('EXPIREAT', records, expire_at)
  return {'ok', record}
end
"""

CHECK_IN_LUA = (
    _WRITE_CHECK_IN
    + """
return write(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5],
  tonumber(ARGV[6]))
"""
)

# A typed code in one round trip (``live.check_in_by_code``): the student's
# wrong-code lock-out, then the first session whose code matched and whose
# enrolled snapshot holds the student (or that has no course), then whether
# this phone checked in to another open session (a soft flag), then the write.
# KEYS: the student's guess counter, five keys per candidate (meta, records,
# devices, attempts, enrolled), then the devices of every open session.
# ARGV: number, device, now, limit, candidates, the flag's reason, then four
# per candidate (record, expire_at, has a course, one device per student).
# Answers {candidate (1-based, 0: none), outcome, record}; "guess_locked" and
# "not_enrolled" send the caller to the full path.
CHECK_IN_BY_CODE_LUA = (
    _WRITE_CHECK_IN
    + """
local number, device, now, limit, n = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if tonumber(redis.call('HGET', KEYS[1], 'until') or '0') > now then return {0, 'guess_locked', ''} end
local chosen = 0
for i = 1, n do
  local course = ARGV[6 + (i - 1) * 4 + 3]
  if course == '0' or redis.call('HEXISTS', KEYS[1 + (i - 1) * 5 + 5], number) == 1 then
    chosen = i
    break
  end
end
if chosen == 0 then return {0, 'not_enrolled', ''} end
local k, a = 1 + (chosen - 1) * 5, 6 + (chosen - 1) * 4
local record, one_device = ARGV[a + 1], ARGV[a + 4] == '1'
if device ~= '' and one_device then
  for i = 2 + n * 5, #KEYS do
    if KEYS[i] ~= KEYS[k + 3] and redis.call('HEXISTS', KEYS[i], device) == 1 then
      local new = cjson.decode(record)
      table.insert(new['flags'], 'device_elsewhere')
      new['reason'] = (new['reason'] ~= '' and (new['reason'] .. ' ') or '') .. ARGV[6]
      record = cjson.encode(new)
      break
    end
  end
end
local result = write(KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], number, record,
  one_device and device or '', now, ARGV[a + 2], limit)
return {chosen, result[1], result[2]}
"""
)

# Teacher corrections: only while the session has not been handed to the sweep.
SET_RECORD_LUA = """
local meta, records = KEYS[1], KEYS[2]
if redis.call('HGET', meta, 'state') ~= 'open' then return 0 end
if ARGV[2] == '' then
  redis.call('HDEL', records, ARGV[1])
else
  redis.call('HSET', records, ARGV[1], ARGV[2])
  redis.call('EXPIREAT', records, ARGV[3])
end
return 1
"""

# Compare and set one record (the photo verification's result): refused while a
# sweeper holds the session, and when the record changed since it was read.
REPLACE_RECORD_LUA = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 'busy' end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 'gone' end
if current ~= ARGV[2] then return 'changed' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 'ok'
"""

# Each count and its TTL in one script: a count left without a TTL would outlive the session.
COUNT_WRONG_LUA = """
local totals = {}
for i, key in ipairs(KEYS) do
  totals[i] = redis.call('HINCRBY', key, ARGV[1], 1)
  redis.call('EXPIREAT', key, ARGV[i + 1])
end
return totals
"""

# A lock-out that grows: LIMIT wrong codes within WINDOW seconds lock the
# subject for BASE seconds, doubled at each further lock-out (up to CAP); the
# strikes are remembered for MEMORY seconds after the last wrong code.
GUESS_LUA = """
local now, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local base, cap = tonumber(ARGV[4]), tonumber(ARGV[5])
if tonumber(redis.call('HGET', KEYS[1], 'window_end') or '0') <= now then
  redis.call('HSET', KEYS[1], 'fails', 0, 'window_end', string.format('%.0f', now + window))
end
local fails = redis.call('HINCRBY', KEYS[1], 'fails', 1)
local locked = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if fails >= limit then
  local strikes = redis.call('HINCRBY', KEYS[1], 'strikes', 1)
  locked = now + math.min(base * 2 ^ (strikes - 1), cap)
  redis.call('HSET', KEYS[1], 'until', string.format('%.0f', locked), 'fails', 0, 'window_end', 0)
end
redis.call('EXPIRE', KEYS[1], ARGV[6])
return string.format('%.0f', locked)
"""

RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Closing and reading in one script: a session that ended by the clock is still
# "open", and a teacher's correction written after the read would be lost.
CLOSE_AND_READ_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'state', 'finished') end
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2])}
"""

# HINCRBY on a meta that has expired meanwhile would recreate it without a TTL.
COUNT_FAILURE_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], 'failures', 1)
"""

# Moving one session from the layout before slot groups (``live.adopt_previous_layout``; one Redis only,
# so its keys may sit in any slot). KEYS: the old keys, the new keys (the same parts in the same order),
# the old and new due index, the teacher's old and new pointer. ARGV: the session id.
ADOPT_LUA = """
local n = (#KEYS - 4) / 2
for i = 1, n do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('RENAME', KEYS[i], KEYS[n + i]) end
end
local score = redis.call('ZSCORE', KEYS[2 * n + 1], ARGV[1])
if score then
  redis.call('ZADD', KEYS[2 * n + 2], score, ARGV[1])
  redis.call('ZREM', KEYS[2 * n + 1], ARGV[1])
end
if redis.call('GET', KEYS[2 * n + 3]) == ARGV[1] then redis.call('RENAME', KEYS[2 * n + 3], KEYS[2 * n + 4]) end
return 1
"""

# Which of these hashes (one slot) hold the field: the per-group read behind the "phone used in another
# open session" flag on a cluster (``live._check_in_by_code_per_slot``).
ANY_HAS_FIELD_LUA = """
local found = {}
for _, key in ipairs(KEYS) do
  if redis.call('HEXISTS', key, ARGV[1]) == 1 then table.insert(found, key) end
end
return found
"""
