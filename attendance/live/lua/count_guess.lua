-- A lock-out that grows: LIMIT wrong codes within WINDOW seconds lock the
-- subject for BASE seconds, doubled at each further lock-out (up to CAP); the
-- strikes are remembered for MEMORY seconds after the last wrong code.
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
