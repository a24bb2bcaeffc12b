-- Teacher corrections: only while the session has not been handed to the sweep.
-- KEYS: meta, records, changes. ARGV: school number, the record's JSON ('' removes it), the keys' expiry,
-- then who corrects (a school number; '' logs nothing), when, and the reason for the change log.
local meta, records, changes = KEYS[1], KEYS[2], KEYS[3]
if redis.call('HGET', meta, 'state') ~= 'open' then return 0 end
local before = redis.call('HGET', records, ARGV[1])
if ARGV[2] == '' then
  redis.call('HDEL', records, ARGV[1])
else
  redis.call('HSET', records, ARGV[1], ARGV[2])
  redis.call('EXPIREAT', records, ARGV[3])
end
if ARGV[4] ~= '' then
  local old = before and cjson.decode(before) or {}
  local new = ARGV[2] ~= '' and cjson.decode(ARGV[2]) or {}
  local old_status, new_status = old.status or '', new.status or ''
  if old_status ~= new_status or (old.reason or '') ~= (new.reason or '') then
    redis.call('RPUSH', changes, cjson.encode({
      school_number = ARGV[1], by = ARGV[4], at = ARGV[5], old = old_status, new = new_status, reason = ARGV[6],
    }))
    redis.call('EXPIREAT', changes, ARGV[3])
  end
end
return 1
