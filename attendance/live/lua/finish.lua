-- Finishing and moving the end only touch a session that is still open: a
-- session the sweep has meanwhile closed or deleted must not come back as a
-- data-less key without a TTL.
if redis.call('HGET', KEYS[1], 'state') ~= 'open' then return 0 end
local ends = math.min(tonumber(redis.call('HGET', KEYS[1], 'ends')), tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'state', 'finished', 'ends', string.format('%.6f', ends))
redis.call('ZADD', KEYS[2], ends, ARGV[2])
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
return 1
