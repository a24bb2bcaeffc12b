-- Teacher corrections: only while the session has not been handed to the sweep.
local meta, records = KEYS[1], KEYS[2]
if redis.call('HGET', meta, 'state') ~= 'open' then return 0 end
if ARGV[2] == '' then
  redis.call('HDEL', records, ARGV[1])
else
  redis.call('HSET', records, ARGV[1], ARGV[2])
  redis.call('EXPIREAT', records, ARGV[3])
end
return 1
