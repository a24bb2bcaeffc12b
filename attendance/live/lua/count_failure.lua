-- HINCRBY on a meta that has expired meanwhile would recreate it without a TTL.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], 'failures', 1)
