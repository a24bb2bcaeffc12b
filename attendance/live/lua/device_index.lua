-- The per-device index (``keys.device_key``): the sessions this device checked in to while it held it
-- there (the device rule, one phone per student per session), as their meta keys scored by when the
-- session's keys expire; the key expires with the latest of them.  Its cost is the device's own sessions,
-- never the campus's.  One definition for both topologies: check_in.lua includes it on one Redis; on a
-- cluster (the index sits in a slot of its own) device_sessions.lua reads it before the check-in script
-- and index_device.lua writes it after.

-- The sessions indexed whose keys have not expired (the caller decides which are still open).
local function device_sessions(index, now)
  return redis.call('ZRANGEBYSCORE', index, '(' .. now, '+inf')
end

-- Index a session the device was just taken in, dropping the expired entries.
local function index_device(index, meta, expire_at, now)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  redis.call('ZADD', index, expire_at, meta)
  local latest = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  redis.call('EXPIREAT', index, latest[2])
end

-- One Redis only (the metas sit in any slot): whether a session other than ``own`` (a meta key) holds the
-- device and is open now, as the open sessions' snapshot would say (state open, not past its end: not
-- finished early, nor ended, nor swept).  An entry whose session is gone (swept) is dropped.
local function open_elsewhere(index, now, own)
  for _, meta in ipairs(device_sessions(index, now)) do
    if meta ~= own then
      local state = redis.call('HMGET', meta, 'state', 'ends')
      if not state[1] then
        redis.call('ZREM', index, meta)
      elseif state[1] == 'open' and now < tonumber(state[2]) then
        return true
      end
    end
  end
  return false
end
