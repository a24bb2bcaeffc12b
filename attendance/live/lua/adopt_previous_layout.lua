-- Moving one session from the layout before slot groups (``live.previous_layout``; one Redis only,
-- so its keys may sit in any slot). KEYS: the old keys, the new keys (the same parts in the same order),
-- the old and new due index, the teacher's old and new pointer. ARGV: the session id.
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
