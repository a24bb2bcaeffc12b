-- A sweeper's heartbeat: keep its claim alive, only if the claim is still its own.
-- KEYS: the claim. ARGV: the sweeper's token, the claim's new lifetime in milliseconds.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
