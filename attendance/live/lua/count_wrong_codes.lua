-- Each count and its TTL in one script: a count left without a TTL would outlive the session.
local totals = {}
for i, key in ipairs(KEYS) do
  totals[i] = redis.call('HINCRBY', key, ARGV[1], 1)
  redis.call('EXPIREAT', key, ARGV[i + 1])
end
return totals
