-- Compare and set one record (the photo verification's result): refused while a
-- sweeper holds the session, and when the record changed since it was read.
if redis.call('EXISTS', KEYS[2]) == 1 then return 'busy' end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 'gone' end
if current ~= ARGV[2] then return 'changed' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 'ok'
