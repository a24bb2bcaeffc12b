-- Moving the end: meta, due index and every expiring key in step (see finish.lua for why only while open).
-- KEYS: meta, due index, the other expiring keys, the teacher pointer. ARGV: ends, expire_at, session id.
if redis.call('HGET', KEYS[1], 'state') ~= 'open' then return 0 end
redis.call('HSET', KEYS[1], 'ends', ARGV[1])
redis.call('ZADD', KEYS[2], tonumber(ARGV[1]), ARGV[3])
for i = 1, #KEYS do
  if i ~= 2 then redis.call('EXPIREAT', KEYS[i], ARGV[2]) end
end
return 1
